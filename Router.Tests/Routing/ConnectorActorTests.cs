using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Router.Actors.Routing;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>The connector's protocol, with probes for its two firewalls, the router and the outcome actor.</summary>
public sealed class ConnectorActorTests : TestKit
{
    private readonly TestProbe _fwA;
    private readonly TestProbe _fwB;
    private readonly TestProbe _router;
    private readonly TestProbe _outcomes;
    private readonly IActorRef _connector;

    public ConnectorActorTests()
    {
        _fwA = CreateTestProbe();
        _fwB = CreateTestProbe();
        _router = CreateTestProbe();
        _outcomes = CreateTestProbe();
        _connector = Sys.ActorOf(ConnectorActor.Props("out", new Dictionary<string, IActorRef> { ["fw-a"] = _fwA, ["fw-b"] = _fwB },
            _router, _outcomes, new AttemptPolicy(PoisonAfter: 3)));
        Assert.Equal("out", _fwA.ExpectMsg<SubscribeFirewall>().ConnectorId);
        Assert.Equal("out", _fwB.ExpectMsg<SubscribeFirewall>().ConnectorId);
    }

    private static DeliveryJob Job(string queueId, params int[] indexes) =>
        new(queueId, "a@example.org", indexes.Length == 0 ? [0] : indexes, (indexes.Length == 0 ? [0] : indexes).Select(i => $"r{i}@example.com").ToArray(), 100, "*;1", 0);

    private void Status(string firewall, bool acceptsWork, int capacity = 1) =>
        _connector.Tell(new FirewallStatus(firewall, acceptsWork ? "healthy" : "tripped", acceptsWork, acceptsWork ? capacity : 0));

    /// <summary>fw-a takes work (one connection, a window of two jobs), fw-b is tripped: the connector is usable.</summary>
    private void OnlyFirewallAUp()
    {
        Status("fw-a", true, capacity: 1);
        Status("fw-b", false);
        Assert.True(_router.ExpectMsg<ConnectorStatus>().Usable);
    }

    [Fact]
    public void A_job_goes_to_a_firewall_with_room_and_its_delivery_goes_to_the_outcome_actor_and_releases_it_with_the_connectors_own_load()
    {
        OnlyFirewallAUp();
        var job = Job("Q1");

        _connector.Tell(new EnqueueJob(job));
        var sent = (Firewall: "fw-a", _fwA.ExpectMsg<DeliverJob>().Job);
        _connector.Tell(new DeliveryAttempted(sent.Firewall, job, new DeliveryResult(AttemptOutcome.Completed, [new RecipientResult(0, 250, "250 ok")], "250 ok", true)));

        var delivered = _outcomes.ExpectMsg<RecipientsDelivered>();
        Assert.Equal(("Q1", 0), (delivered.QueueId, Assert.Single(delivered.Recipients)));
        var released = _router.ExpectMsg<JobReleased>();
        Assert.Equal(("out", JobRelease.Finished, (DeliveryJob?)null, sent.Firewall), (released.ConnectorId, released.Release, released.Next, released.FirewallId));
        Assert.Equal(new ConnectorLoad(0, 1), released.Load);
    }

    [Fact]
    public void A_4xx_releases_the_deferred_recipients_for_the_router_to_schedule_and_a_5xx_goes_to_the_bounce()
    {
        OnlyFirewallAUp();
        var job = Job("Q1", 0, 1);
        _connector.Tell(new EnqueueJob(job));
        var sent = (Firewall: "fw-a", _fwA.ExpectMsg<DeliverJob>().Job);

        _connector.Tell(new DeliveryAttempted(sent.Firewall, job, new DeliveryResult(AttemptOutcome.Completed,
            [new RecipientResult(0, 451, "451 4.7.1 later"), new RecipientResult(1, 550, "550 5.1.1 no such user")], "mixed", true)));

        var failed = _outcomes.ExpectMsg<RecipientsFailed>();
        Assert.Equal((1, "5.1.1"), (Assert.Single(failed.Recipients).RecipientIndex, failed.Recipients[0].Status));
        var released = _router.ExpectMsg<JobReleased>();
        Assert.Equal(JobRelease.Deferred, released.Release);
        Assert.Equal([0], released.Next!.RecipientIndexes);
        Assert.Equal(1, released.Next.Deferrals);
    }

    [Fact]
    public void A_firewall_fault_releases_the_job_to_be_placed_elsewhere_at_once()
    {
        OnlyFirewallAUp();
        var job = Job("Q1");
        _connector.Tell(new EnqueueJob(job));
        var sent = (Firewall: "fw-a", _fwA.ExpectMsg<DeliverJob>().Job);

        _connector.Tell(new DeliveryAttempted(sent.Firewall, job, DeliveryResult.ForAll(job, AttemptOutcome.ConnectFailed, 0, "refused")));

        var released = _router.ExpectMsg<JobReleased>();
        Assert.Equal((JobRelease.PlaceElsewhere, sent.Firewall, "out"), (released.Release, released.Next!.AvoidFirewall, released.Next.AvoidConnector));
    }

    [Fact]
    public void When_no_firewall_takes_work_the_connector_says_so_and_hands_its_waiting_jobs_back_in_the_same_message()
    {
        OnlyFirewallAUp();
        // fw-a's window is two jobs: the third waits at the connector.
        var jobs = new[] { Job("Q1"), Job("Q2"), Job("Q3") };
        foreach (var job in jobs)
            _connector.Tell(new EnqueueJob(job));
        _fwA.ExpectMsg<DeliverJob>();
        _fwA.ExpectMsg<DeliverJob>();

        Status("fw-a", false);

        var down = _router.ExpectMsg<ConnectorStatus>();
        Assert.False(down.Usable);
        Assert.Equal(["Q3"], down.Returned.Select(j => j.QueueId));
        Assert.Equal(new ConnectorLoad(2, 3), down.Load);
    }

    [Fact]
    public void Jobs_a_tripped_firewall_returns_go_back_to_the_router_when_no_firewall_of_the_connector_takes_work()
    {
        OnlyFirewallAUp();
        var job = Job("Q1");
        _connector.Tell(new EnqueueJob(job));
        _fwA.ExpectMsg<DeliverJob>();

        Status("fw-a", false);
        Assert.Empty(_router.ExpectMsg<ConnectorStatus>().Returned);
        _connector.Tell(new JobsReturned("fw-a", [job], "firewall tripped"));

        var returned = _router.ExpectMsg<ConnectorStatus>();
        Assert.False(returned.Usable);
        Assert.Equal([job], returned.Returned);
        Assert.Equal(new ConnectorLoad(0, 1), returned.Load);
    }

    [Fact]
    public void A_hand_back_returns_the_waiting_jobs_asked_for_with_the_reason_as_an_enum()
    {
        OnlyFirewallAUp();
        foreach (var id in new[] { "Q1", "Q2", "Q3", "Q4" })
            _connector.Tell(new EnqueueJob(Job(id)));
        _fwA.ExpectMsg<DeliverJob>();
        _fwA.ExpectMsg<DeliverJob>();

        _connector.Tell(new HandBackJobs(HandBackReason.MessageDeleted, OnlyQueueId: "Q4"));
        var handedBack = _router.ExpectMsg<JobsHandedBack>();
        _connector.Tell(new HandBackJobs(HandBackReason.FirewallRedirected, RedirectTo: "out-b"));
        var rest = _router.ExpectMsg<JobsHandedBack>();

        Assert.Equal((HandBackReason.MessageDeleted, "Q4"), (handedBack.Reason, Assert.Single(handedBack.Jobs).QueueId));
        Assert.Equal((HandBackReason.FirewallRedirected, "out-b", "Q3"), (rest.Reason, rest.RedirectTo, Assert.Single(rest.Jobs).QueueId));
        Assert.Equal(new ConnectorLoad(2, 4), rest.Load);
    }
}
