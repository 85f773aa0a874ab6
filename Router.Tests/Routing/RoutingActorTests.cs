using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Routing;
using Router.Messages;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;
using Envelope = Router.Messages.Envelope;

namespace Router.Tests.Routing;

/// <summary>
/// The routing actor's protocol with probes for its connectors and the bounce actor: connectors
/// "a" and "b" share tier 1 (firewalls fw-a, fw-b), "backup" is tier 2 (fw-c).
/// </summary>
public sealed class RoutingActorTests : TestKit
{
    private static readonly RetryPolicy Retry = new([TimeSpan.FromSeconds(1)], TimeSpan.FromDays(1), DelayNoticeAfter: null);

    private readonly TestProbe _a;
    private readonly TestProbe _b;
    private readonly TestProbe _backup;
    private readonly TestProbe _bounces;
    private readonly IActorRef _router;
    private int _next;

    public RoutingActorTests()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse("""
            router {
              firewalls {
                fw-a { host = "127.0.0.1" }
                fw-b { host = "127.0.0.1" }
                fw-c { host = "127.0.0.1" }
              }
              connectors {
                a { address-spaces = ["*;1"], firewalls = [fw-a] }
                b { address-spaces = ["*;1"], firewalls = [fw-b] }
                backup { address-spaces = ["*;5"], firewalls = [fw-c] }
              }
            }
            """));
        _a = CreateTestProbe();
        _b = CreateTestProbe();
        _backup = CreateTestProbe();
        _bounces = CreateTestProbe();
        _router = Sys.ActorOf(RoutingActor.Props(options.BuildAddressSpaceTable(), _bounces, Retry));
        _router.Tell(new AttachConnectors(
            new Dictionary<string, IActorRef> { ["a"] = _a, ["b"] = _b, ["backup"] = _backup },
            new Dictionary<string, IReadOnlyList<string>> { ["fw-a"] = ["a"], ["fw-b"] = ["b"], ["fw-c"] = ["backup"] }));
    }

    [Fact]
    public void A_new_part_goes_to_the_connector_of_the_best_tier_that_reported_the_smaller_load()
    {
        _router.Tell(new ConnectorStatus("a", true) { Load = new ConnectorLoad(5, 0) });
        _router.Tell(new ConnectorStatus("b", true) { Load = new ConnectorLoad(1, 0) });

        Spool();

        Assert.Equal("Q0000", _b.ExpectMsg<EnqueueJob>().Job.QueueId);
        Assert.Equal("b", Queue().Entries.Single().Connector);
    }

    [Fact]
    public void The_load_counts_the_parts_sent_that_the_connector_has_not_reported_taking()
    {
        _router.Tell(new ConnectorStatus("b", true) { Load = new ConnectorLoad(2, 0) });
        // "a" reported nothing; two parts sent to it count as its load until it reports.
        _router.Tell(new SuspendConnector("b"));
        ExpectMsg<QueueCommandDone>();
        Spool();
        Spool();
        _a.ExpectMsg<EnqueueJob>();
        _a.ExpectMsg<EnqueueJob>();

        var states = Ask<ConnectorStates>(GetConnectorStates.Instance);

        Assert.Equal(2, states.Connectors.Single(c => c.ConnectorId == "a").Backlog);
        Assert.Equal(2, states.Connectors.Single(c => c.ConnectorId == "b").Backlog);
    }

    [Fact]
    public void A_connector_that_goes_down_is_marked_down_and_the_parts_it_returns_are_placed_at_once_in_one_hop()
    {
        var id = Spool();
        var (first, other) = Placed();
        var job = first.ExpectMsg<EnqueueJob>().Job;

        _router.Tell(new ConnectorStatus(ConnectorOf(first), false) { Returned = [job], Load = ConnectorLoad.None }, first);

        Assert.Equal(id, other.ExpectMsg<EnqueueJob>().Job.QueueId);
        Assert.Equal("down", Ask<ConnectorStates>(GetConnectorStates.Instance).Connectors.Single(c => c.ConnectorId == ConnectorOf(first)).State);
    }

    [Fact]
    public void Parts_an_operator_asked_back_are_placed_again_without_marking_the_connector_down()
    {
        Spool();
        var (first, _) = Placed();
        var job = first.ExpectMsg<EnqueueJob>().Job;

        _router.Tell(new JobsHandedBack(ConnectorOf(first), [job], HandBackReason.FirewallRedirected, ConnectorLoad.None) { RedirectTo = "backup" });

        Assert.Equal(job.QueueId, _backup.ExpectMsg<EnqueueJob>().Job.QueueId);
        Assert.Equal("usable", Ask<ConnectorStates>(GetConnectorStates.Instance).Connectors.Single(c => c.ConnectorId == ConnectorOf(first)).State);
    }

    [Fact]
    public void A_deferred_part_waits_in_the_router_listed_as_deferred_then_is_placed_again_avoiding_its_connector()
    {
        Spool();
        var (first, other) = Placed();
        var job = first.ExpectMsg<EnqueueJob>().Job;
        var next = job with { Deferrals = 1, AvoidConnector = ConnectorOf(first) };

        _router.Tell(new JobReleased(ConnectorOf(first), job, JobRelease.Deferred, next, "451 later", ConnectorLoad.None) { FirewallId = "fw-x" });

        var entry = Ask<QueueListing>(new ListQueue(State: "deferred")).Entries.Single();
        Assert.Equal(("deferred", (string?)null), (entry.State, entry.Connector));
        Assert.NotNull(entry.NextAttempt);
        Assert.Equal(next, other.ExpectMsg<EnqueueJob>().Job);
        Assert.Equal("queued", Queue().Entries.Single().State);
    }

    [Fact]
    public void A_deferred_part_past_its_expiry_goes_back_to_its_sender_with_4_4_7()
    {
        Spool(receivedAt: DateTimeOffset.UtcNow - TimeSpan.FromDays(2));
        var (first, _) = Placed();
        var job = first.ExpectMsg<EnqueueJob>().Job;

        _router.Tell(new JobReleased(ConnectorOf(first), job, JobRelease.Deferred, job with { Deferrals = 1 }, "451 later", ConnectorLoad.None));

        var failed = _bounces.ExpectMsg<RecipientsFailed>();
        Assert.Equal("4.4.7", Assert.Single(failed.Recipients).Status);
        Assert.Empty(Queue().Entries);
    }

    [Fact]
    public void A_finished_part_leaves_the_queue_listing()
    {
        Spool();
        var (first, _) = Placed();
        var job = first.ExpectMsg<EnqueueJob>().Job;

        _router.Tell(new JobReleased(ConnectorOf(first), job, JobRelease.Finished, null, "250 ok", new ConnectorLoad(0, 1)));

        Assert.Empty(Queue().Entries);
    }

    [Fact]
    public void With_no_usable_connector_a_part_is_parked_and_placed_when_one_comes_back()
    {
        foreach (var id in new[] { "a", "b", "backup" })
            _router.Tell(new ConnectorStatus(id, false));
        Spool();

        Assert.Equal("parked", Ask<QueueListing>(new ListQueue(State: "parked")).Entries.Single().State);
        _router.Tell(new ConnectorStatus("backup", true));

        _backup.ExpectMsg<EnqueueJob>();
    }

    [Fact]
    public void Suspending_a_connector_asks_it_for_its_waiting_parts_with_the_reason_as_an_enum()
    {
        _router.Tell(new SuspendConnector("a"));

        Assert.Equal(HandBackReason.ConnectorSuspended, _a.ExpectMsg<HandBackJobs>().Reason);
        Assert.Equal("suspend", ExpectMsg<QueueCommandDone>().Command);
    }

    [Fact]
    public void An_unknown_state_filter_lists_nothing()
    {
        Spool();

        Assert.Empty(Ask<QueueListing>(new ListQueue(State: "stuck")).Entries);
    }

    private string ConnectorOf(TestProbe probe) => probe == _a ? "a" : "b";

    /// <summary>The tier-1 connector the part went to, and the other one.</summary>
    private (TestProbe First, TestProbe Other) Placed()
    {
        var listing = Queue().Entries.Single();
        return listing.Connector == "a" ? (_a, _b) : (_b, _a);
    }

    private QueueListing Queue() => Ask<QueueListing>(new ListQueue());

    private T Ask<T>(object message)
    {
        _router.Tell(message, TestActor);
        return ExpectMsg<T>();
    }

    private string Spool(DateTimeOffset? receivedAt = null)
    {
        var id = $"Q{_next++:D4}";
        var envelope = new Envelope("a@example.org", ["b@example.com"], receivedAt ?? DateTimeOffset.UtcNow, "127.0.0.1", "client");
        _router.Tell(new MessageSpooled(id, envelope, 100, [0]));
        return id;
    }
}
