using Router.Actors.Configuration;
using Router.Actors.Routing;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>"a" and "b" share tier 1 (fw-a, fw-b), "backup" is tier 2 (fw-c).</summary>
public sealed class PathSelectorTests
{
    private const string Peer = "akka.tcp://router@10.0.0.2:4053";

    private static readonly DateTimeOffset Now = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);

    private static readonly AddressSpaceTable Table = new(
    [
        ("a", [AddressSpace.Parse("*;1")]),
        ("b", [AddressSpace.Parse("*;1")]),
        ("backup", [AddressSpace.Parse("*;5")]),
    ]);

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Firewalls = new Dictionary<string, IReadOnlyList<string>>
    {
        ["fw-a"] = ["a"],
        ["fw-b"] = ["b"],
        ["fw-c"] = ["backup"],
    };

    private static readonly DeliveryJob Job = new("Q1", "s@example.org", [0], ["r@example.com"], 100, "k", 0);

    private readonly PathSelector _paths = new(Table, new ConnectorChooser(new Random(1)), new OperatorOverrides(new OperatorState([]), new Dictionary<string, IReadOnlyList<string>>()));

    public PathSelectorTests() => _paths.Attach(["a", "b", "backup"], Firewalls);

    [Fact]
    public void The_less_loaded_connector_of_the_best_tier_takes_the_part()
    {
        _paths.Loads.Reported("a", new ConnectorLoad(4, 0));

        Assert.Equal(new PathChoice("b", null), _paths.Choose(Job, Now));
    }

    [Fact]
    public void A_tier_down_falls_to_the_next_and_nothing_usable_parks()
    {
        _paths.MarkDown("a");
        _paths.MarkDown("b");
        Assert.Equal("backup", _paths.Choose(Job, Now).Connector);

        _paths.MarkDown("backup");
        Assert.Equal(new PathChoice(null, null), _paths.Choose(Job, Now));
    }

    [Fact]
    public void A_suspended_connector_is_not_usable_and_says_so()
    {
        _paths.Operator.Suspend("a");

        Assert.Equal("b", _paths.Choose(Job, Now).Connector);
        Assert.Equal("suspended", _paths.StateOf("a").State);
    }

    [Fact]
    public void Connector_states_are_named_for_operators_with_their_reported_load_and_firewalls()
    {
        _paths.MarkDown("b");
        _paths.Loads.Sent("a");

        Assert.Equal(("usable", 1, "fw-a"), (_paths.StateOf("a").State, _paths.StateOf("a").Backlog, _paths.StateOf("a").Firewalls.Single()));
        Assert.Equal("down", _paths.StateOf("b").State);
        Assert.Equal("detached", _paths.StateOf("other").State);
        Assert.True(_paths.MarkUsable("b"));
        Assert.False(_paths.MarkUsable("b"));
    }

    [Fact]
    public void An_operator_redirect_moves_the_choice_and_the_picked_connector_is_still_told()
    {
        _paths.Operator.Redirect("fw-a", "backup");
        _paths.Operator.Redirect("fw-b", "backup");

        var (picked, target) = _paths.Decide(_paths.TiersOf(Job), DateTimeOffset.UtcNow);

        Assert.Contains(picked, new[] { "a", "b" });
        Assert.Equal("backup", target);
    }

    [Fact]
    public void In_a_cluster_a_part_goes_to_a_peer_when_its_best_tier_is_down_here_and_healthy_there()
    {
        _paths.AttachSpillOver(new SpillOverSettings(), "akka.tcp://router@10.0.0.1:4053");
        Assert.True(_paths.Update(new ClusterHealthView([new FirewallHealthEntry("fw-a", "n2", Peer, "healthy", Now, 0, 0, 0, 0, "r") { LastSuccess = DateTimeOffset.UtcNow }], [])));
        _paths.MarkDown("a");
        _paths.MarkDown("b");

        var choice = _paths.Choose(Job, Now);

        Assert.Equal(Peer, choice.Handover!.Peer);
        Assert.True(_paths.SpillsOver);
    }

    [Fact]
    public void The_route_of_a_part_and_its_tier_come_from_the_tiers_remembered_for_its_route_key()
    {
        _paths.Remember("k", [new RouteTier("*", 5, ["backup"])]);

        Assert.True(_paths.RoutesThrough(Job, new HashSet<string> { "backup" }));
        Assert.False(_paths.RoutesThrough(Job, new HashSet<string> { "a" }));
        Assert.Equal(5, _paths.TierOf(Job, "backup")!.Cost);
        Assert.Null(_paths.TierOf(Job, "a"));
    }
}
