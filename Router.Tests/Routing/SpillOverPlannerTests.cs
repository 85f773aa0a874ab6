using Router.Actors.Cluster;
using Router.Actors.Routing;
using Router.Messages.Health;

namespace Router.Tests.Routing;

public sealed class SpillOverPlannerTests
{
    private const string Self = "akka.tcp://router@10.0.0.1:4053";
    private const string Two = "akka.tcp://router@10.0.0.2:4053";
    private const string Three = "akka.tcp://router@10.0.0.3:4053";

    private static readonly RouteTier Tier = new("*", 1, ["out"]);

    private readonly SpillOverPlanner _planner = new(new Dictionary<string, IReadOnlyList<string>> { ["out"] = ["fw-a", "fw-b"] }, Self);

    [Fact]
    public void Peers_with_a_healthy_firewall_of_the_tier_take_turns_and_this_node_is_never_one()
    {
        _planner.Update(View([Entry(Self, "fw-a"), Entry(Two, "fw-b"), Entry(Three, "fw-a")]));

        var picks = Enumerable.Range(0, 4).Select(_ => _planner.PeerFor(Tier, DateTimeOffset.UtcNow)).ToArray();

        Assert.Equal(new string?[] { Two, Three, Two, Three }, picks);
    }

    [Fact]
    public void Unreachable_peers_peers_without_a_healthy_firewall_and_firewalls_of_other_connectors_do_not_count()
    {
        _planner.Update(View([Entry(Two, "fw-a"), Entry(Three, "fw-a", "tripped"), Entry(Three, "fw-z")], unreachable: [Two]));

        Assert.Null(_planner.PeerFor(Tier, DateTimeOffset.UtcNow));
        Assert.Equal(Three, _planner.AnyPeer(DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_peer_that_failed_a_handover_is_left_out_until_its_time_is_up()
    {
        var now = DateTimeOffset.UtcNow;
        _planner.Update(View([Entry(Two, "fw-a")]));

        _planner.Avoid(Two, now + TimeSpan.FromSeconds(30));

        Assert.Null(_planner.PeerFor(Tier, now));
        Assert.Equal(Two, _planner.PeerFor(Tier, now + TimeSpan.FromSeconds(31)));
    }

    [Fact]
    public void Update_says_whether_the_healthy_capacity_changed()
    {
        Assert.True(_planner.Update(View([Entry(Two, "fw-a")])));
        Assert.False(_planner.Update(View([Entry(Two, "fw-a"), Entry(Three, "fw-a", "tripped")])));
        Assert.True(_planner.Update(View([Entry(Two, "fw-a", "tripped")])));
    }

    [Fact]
    public void A_healthy_firewall_a_peer_never_saw_work_is_no_reason_to_hand_over()
    {
        Assert.False(_planner.Update(View([Entry(Two, "fw-a") with { LastSuccess = null }])));

        Assert.Null(_planner.PeerFor(Tier, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_peer_counts_again_only_once_it_saw_the_firewall_work_after_its_latest_trip_on_any_node()
    {
        var trip = DateTimeOffset.UtcNow;
        var tripped = Entry(Self, "fw-a", "tripped") with { LastTrip = trip };

        // The peer last saw fw-a work before it tripped here: the same firewall may be dead for everyone.
        _planner.Update(View([tripped, Entry(Two, "fw-a") with { LastSuccess = trip - TimeSpan.FromSeconds(1) }]));
        Assert.Null(_planner.PeerFor(Tier, trip));

        // A trip on a third node counts the same.
        _planner.Update(View([Entry(Two, "fw-a") with { LastSuccess = trip - TimeSpan.FromSeconds(1) }, Entry(Three, "fw-a", "suspect") with { LastTrip = trip }]));
        Assert.Null(_planner.PeerFor(Tier, trip));

        // The peer probed after the trip and the firewall answered: dead for this node's path only.
        Assert.True(_planner.Update(View([tripped, Entry(Two, "fw-a") with { LastSuccess = trip + TimeSpan.FromSeconds(1) }])));
        Assert.Equal(Two, _planner.PeerFor(Tier, trip));
    }

    private static FirewallHealthEntry Entry(string address, string firewall, string state = "healthy") =>
        new(firewall, "n", address, state, DateTimeOffset.UtcNow, 0, 0, 0, 0, "r") { LastSuccess = DateTimeOffset.UtcNow };

    private static ClusterHealthView View(IReadOnlyList<FirewallHealthEntry> entries, IReadOnlyList<string>? unreachable = null) =>
        new(entries, unreachable ?? []);
}
