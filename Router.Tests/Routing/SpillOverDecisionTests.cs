using Router.Actors.Cluster;
using Router.Actors.Configuration;
using Router.Actors.Routing;
using Router.Messages.Health;

namespace Router.Tests.Routing;

/// <summary>Tier 1 is connector "primary" (firewall fw-a), tier 2 "backup" (fw-b); one peer.</summary>
public sealed class SpillOverDecisionTests
{
    private const string Self = "akka.tcp://router@10.0.0.1:4053";
    private const string Peer = "akka.tcp://router@10.0.0.2:4053";

    private static readonly DateTimeOffset Now = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyList<RouteTier> Tiers = [new("*", 1, ["primary"]), new("*", 5, ["backup"])];
    private static readonly SpillOverSettings Settings = new() { BacklogThreshold = 10, MaxHandovers = 1 };

    private readonly SpillOverPlanner _planner = new(
        new Dictionary<string, IReadOnlyList<string>> { ["primary"] = ["fw-a"], ["backup"] = ["fw-b"] }, Self);

    private Handover? Decide(string? picked, int handovers = 0, bool leaving = false, int load = 0, SpillOverSettings? settings = null) =>
        SpillOverDecision.Decide(_planner, settings ?? Settings, leaving, handovers, Tiers, picked, _ => true, _ => load, Now);

    [Fact]
    public void Mail_stays_here_on_the_best_tier_under_the_threshold()
    {
        PeerShows("fw-a", "fw-b");

        Assert.Null(Decide("primary", load: 9));
    }

    [Fact]
    public void With_a_better_tier_down_here_and_healthy_on_a_peer_the_peer_takes_it()
    {
        PeerShows("fw-a");

        var handover = Decide("backup");

        Assert.Equal(Peer, handover!.Peer);
        Assert.StartsWith("no usable connector of tier 1 (*;1) on this node", handover.Reason);
    }

    [Fact]
    public void With_nothing_usable_here_any_tier_a_peer_has_takes_it()
    {
        PeerShows("fw-b");

        Assert.Contains("tier 2", Decide(null)!.Reason);
    }

    [Fact]
    public void At_the_backlog_threshold_of_the_picked_tier_a_peer_with_it_healthy_takes_new_mail()
    {
        PeerShows("fw-a");

        var handover = Decide("primary", load: 10);

        Assert.Equal("backlog of tier 1 here is 10 (threshold 10); " + Peer + " has a healthy firewall in it", handover!.Reason);
    }

    [Fact]
    public void Mail_from_a_peer_is_not_moved_on_for_backlog_and_not_past_max_handovers()
    {
        PeerShows("fw-a");

        Assert.Null(Decide("primary", handovers: 1, load: 50, settings: Settings with { MaxHandovers = 2 }));
        Assert.Null(Decide("backup", handovers: 1));
    }

    [Fact]
    public void Disabled_spill_over_keeps_everything_here_but_a_leaving_node_hands_everything_over()
    {
        PeerShows("fw-b");

        Assert.Null(Decide(null, settings: Settings with { Enabled = false }));
        var leaving = Decide("primary", handovers: 5, leaving: true, settings: Settings with { Enabled = false });
        Assert.Equal($"this node is leaving; {Peer} has a healthy firewall for *;5", leaving!.Reason);
    }

    [Fact]
    public void A_leaving_node_hands_over_to_any_peer_when_none_shows_capacity()
    {
        PeerShows();
        _planner.Update(new ClusterHealthView([new FirewallHealthEntry("fw-a", "n", Peer, "tripped", Now, 0, 0, 0, 0, "r") { LastSuccess = DateTimeOffset.UtcNow }], []));

        Assert.Equal(new Handover(Peer, "this node is leaving"), Decide("primary", leaving: true));
    }

    private void PeerShows(params string[] healthyFirewalls) =>
        _planner.Update(new ClusterHealthView(healthyFirewalls.Select(f => new FirewallHealthEntry(f, "n", Peer, "healthy", Now, 0, 0, 0, 0, "r") { LastSuccess = DateTimeOffset.UtcNow }).ToArray(), []));
}
