using Akka.Actor;
using Akka.TestKit.Xunit2;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Peers;
using Router.Actors.Routing;
using Router.Messages;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>
/// The routing actor's spill-over decisions, with probes for its connectors, the health view and the
/// handover sender. Tier 1 is connector "primary" (firewall fw-a), tier 2 "backup" (fw-b).
/// </summary>
public sealed class SpillOverRoutingTests : TestKit
{
    private const string Self = "akka.tcp://router@127.0.0.1:4051";
    private const string Peer = "akka.tcp://router@127.0.0.1:4052";

    private readonly Akka.TestKit.TestProbe _primary;
    private readonly Akka.TestKit.TestProbe _backup;
    private readonly Akka.TestKit.TestProbe _handovers;
    private readonly IActorRef _router;
    private int _next;

    public SpillOverRoutingTests()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse("""
            router {
              firewalls {
                fw-a { host = "127.0.0.1" }
                fw-b { host = "127.0.0.1" }
              }
              connectors {
                primary { address-spaces = ["*;1"], firewalls = [fw-a] }
                backup { address-spaces = ["*;5"], firewalls = [fw-b] }
              }
            }
            """));
        _primary = CreateTestProbe();
        _backup = CreateTestProbe();
        _handovers = CreateTestProbe();
        _router = Sys.ActorOf(RoutingActor.Props(options.BuildAddressSpaceTable(), CreateTestProbe(), options.Delivery.Retry));
        _router.Tell(new AttachConnectors(
            new Dictionary<string, IActorRef> { ["primary"] = _primary, ["backup"] = _backup },
            new Dictionary<string, IReadOnlyList<string>> { ["fw-a"] = ["primary"], ["fw-b"] = ["backup"] }));
        _router.Tell(new AttachSpillOver(CreateTestProbe(), _handovers,
            new SpillOverSettings { BacklogThreshold = 2, MaxHandovers = 2 }, Self));
    }

    [Fact]
    public void Mail_stays_on_a_local_connector_of_the_best_tier_while_it_is_usable_and_its_backlog_is_under_the_threshold()
    {
        PeerShows(("fw-a", "healthy"), ("fw-b", "healthy"));

        Spool();
        Spool();

        _primary.ExpectMsg<EnqueueJob>();
        _primary.ExpectMsg<EnqueueJob>();
        _handovers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Past_the_backlog_threshold_new_mail_goes_to_a_peer_with_a_healthy_firewall_in_the_tier()
    {
        PeerShows(("fw-a", "healthy"));
        Spool();
        Spool();
        _primary.ExpectMsg<EnqueueJob>();
        _primary.ExpectMsg<EnqueueJob>();

        var third = Spool();

        var handover = _handovers.ExpectMsg<HandoverSender.HandOver>();
        Assert.Equal((third, Peer), (handover.Job.QueueId, handover.Peer));
        Assert.Contains("backlog", handover.Reason);
        _primary.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Mail_taken_over_from_a_peer_is_not_moved_on_for_backlog()
    {
        PeerShows(("fw-a", "healthy"));
        Spool(handovers: 1);
        Spool(handovers: 1);
        Spool(handovers: 1);

        _primary.ExpectMsg<EnqueueJob>();
        _primary.ExpectMsg<EnqueueJob>();
        _primary.ExpectMsg<EnqueueJob>();
        _handovers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void With_tier_1_down_here_mail_goes_to_a_peer_with_tier_1_healthy_before_the_local_tier_2()
    {
        PeerShows(("fw-a", "healthy"));
        _router.Tell(new ConnectorStatus("primary", false));

        var id = Spool();

        var handover = _handovers.ExpectMsg<HandoverSender.HandOver>();
        Assert.Equal((id, Peer), (handover.Job.QueueId, handover.Peer));
        Assert.Contains("no usable connector of tier 1", handover.Reason);
        _backup.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void With_tier_1_down_everywhere_mail_takes_the_local_tier_2()
    {
        PeerShows(("fw-a", "tripped"), ("fw-b", "healthy"));
        _router.Tell(new ConnectorStatus("primary", false));

        Spool();

        _backup.ExpectMsg<EnqueueJob>();
        _handovers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Mail_that_moved_max_handovers_times_is_not_handed_over_again()
    {
        PeerShows(("fw-a", "healthy"));
        _router.Tell(new ConnectorStatus("primary", false));

        Spool(handovers: 2);

        _backup.ExpectMsg<EnqueueJob>();
        _handovers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_failed_handover_keeps_the_mail_here_and_that_peer_gets_no_more_for_a_while()
    {
        PeerShows(("fw-a", "healthy"));
        _router.Tell(new ConnectorStatus("primary", false));
        Spool();
        var handover = _handovers.ExpectMsg<HandoverSender.HandOver>();

        _router.Tell(new HandoverSender.Failed(handover.Job, handover.Peer, "no acknowledgement"));

        Assert.Equal(handover.Job, _backup.ExpectMsg<EnqueueJob>().Job);
        Spool();
        _backup.ExpectMsg<EnqueueJob>();
        _handovers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Leaving_every_part_goes_to_a_peer_even_when_local_connectors_work_and_connectors_give_their_backlog_back()
    {
        PeerShows(("fw-b", "healthy"));
        _router.Tell(StartDrain.Instance);

        _primary.ExpectMsg<HandBackJobs>();
        _backup.ExpectMsg<HandBackJobs>();
        var id = Spool();

        var handover = _handovers.ExpectMsg<HandoverSender.HandOver>();
        Assert.Equal((id, Peer), (handover.Job.QueueId, handover.Peer));
        Assert.Contains("leaving", handover.Reason);
        _primary.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private void PeerShows(params (string Firewall, string State)[] firewalls)
    {
        var entries = firewalls.Select(f => new FirewallHealthEntry(f.Firewall, "node2", Peer, f.State, DateTimeOffset.UtcNow, 0, 0, 0, 0, "test") { LastSuccess = DateTimeOffset.UtcNow })
            .Append(new FirewallHealthEntry("fw-a", "node1", Self, "healthy", DateTimeOffset.UtcNow, 0, 0, 0, 0, "test") { LastSuccess = DateTimeOffset.UtcNow })
            .ToList();
        _router.Tell(new ClusterHealthView(entries, []));
    }

    private string Spool(int handovers = 0)
    {
        var id = $"Q{_next++:D4}";
        var envelope = new Envelope("a@example.org", ["b@example.com"], DateTimeOffset.UtcNow, "127.0.0.1", "client") { Handovers = handovers };
        _router.Tell(new MessageSpooled(id, envelope, 100, [0]));
        return id;
    }
}
