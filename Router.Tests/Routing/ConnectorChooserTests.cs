using Router.Actors.Routing;

namespace Router.Tests.Routing;

public sealed class ConnectorChooserTests
{
    private static readonly RouteTier Cheap = new("*", 1, ["a", "b", "c"]);
    private static readonly RouteTier Backup = new("*", 2, ["z"]);

    [Fact]
    public void Picks_from_the_best_tier_when_it_has_a_usable_connector()
    {
        var chooser = new ConnectorChooser(new Random(1));
        for (var i = 0; i < 100; i++)
            Assert.Contains(chooser.Choose([Cheap, Backup], _ => true, _ => 0), Cheap.ConnectorIds);
    }

    [Fact]
    public void Falls_to_the_next_tier_only_when_no_connector_of_the_best_is_usable()
    {
        var chooser = new ConnectorChooser(new Random(1));
        Assert.Equal("z", chooser.Choose([Cheap, Backup], id => id == "z", _ => 0));
        Assert.Equal("b", chooser.Choose([Cheap, Backup], id => id is "b" or "z", _ => 0));
    }

    [Fact]
    public void Returns_null_when_nothing_is_usable()
    {
        Assert.Null(new ConnectorChooser(new Random(1)).Choose([Cheap, Backup], _ => false, _ => 0));
    }

    [Fact]
    public void Of_two_candidates_prefers_the_smaller_backlog()
    {
        var chooser = new ConnectorChooser(new Random(7));
        var tier = new RouteTier("*", 1, ["busy", "idle"]);
        for (var i = 0; i < 50; i++)
            Assert.Equal("idle", chooser.Choose([tier], _ => true, id => id == "busy" ? 100 : 0));
    }

    [Fact]
    public void Spreads_equal_backlogs_across_the_whole_tier()
    {
        var chooser = new ConnectorChooser(new Random(3));
        var picks = Enumerable.Range(0, 3000).Select(_ => chooser.Choose([Cheap], _ => true, _ => 0)!).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, picks.Count);
        Assert.All(picks.Values, n => Assert.InRange(n, 800, 1200));
    }
}

public sealed class ConnectorChooserAvoidTests
{
    [Fact]
    public void A_retry_avoids_the_connector_that_deferred_it_within_the_tier()
    {
        var chooser = new ConnectorChooser(new Random(5));
        var tier = new RouteTier("*", 1, ["a", "b"]);
        for (var i = 0; i < 50; i++)
            Assert.Equal("b", chooser.Choose([tier], _ => true, _ => 0, avoid: "a"));
    }

    [Fact]
    public void Avoiding_never_drops_to_a_worse_tier()
    {
        var chooser = new ConnectorChooser(new Random(5));
        Assert.Equal("exact", chooser.Choose([new RouteTier("a.example", 1, ["exact"]), new RouteTier("*", 1, ["general"])], _ => true, _ => 0, avoid: "exact"));
    }

    [Fact]
    public void Of_two_candidates_with_a_pace_prefers_the_one_that_finishes_its_jobs_sooner_even_with_the_larger_backlog()
    {
        var chooser = new ConnectorChooser(new Random(7));
        var tier = new RouteTier("*", 1, ["fast", "slow"]);
        // fast holds 200 jobs it finishes in 0.1 s; slow holds 20 that take it 4 s.
        for (var i = 0; i < 50; i++)
            Assert.Equal("fast", chooser.Choose([tier], _ => true, id => id == "fast" ? 200 : 20, drainSeconds: id => id == "fast" ? 0.1 : 4.0));
        // Between two that drain in milliseconds the pace says only who was given more: the backlogs decide.
        for (var i = 0; i < 50; i++)
            Assert.Equal("slow", chooser.Choose([tier], _ => true, id => id == "fast" ? 200 : 20, drainSeconds: id => id == "fast" ? 0.01 : 0.2));
        // While one of them has no pace to judge by, the backlogs decide.
        for (var i = 0; i < 50; i++)
            Assert.Equal("slow", chooser.Choose([tier], _ => true, id => id == "fast" ? 200 : 20, drainSeconds: id => id == "fast" ? 0.1 : null));
    }
}

