using Akka.Actor;
using Router.Actors.Observability.Tracking;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Observability;

/// <summary>A router in this process with fake firewalls: the tracking log tells each message's history.</summary>
public sealed class TrackingIntegrationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<string> SendAsync(TestRouter router, string id, string from = "sender@example.org", string to = "user@example.net")
    {
        var reply = (await TestMail.SendAsync(router.Smtp, [TestMail.Build(id, to)], to, from: from)).Single();
        return reply.Split(' ').Last();
    }

    /// <summary>Queries the log until the history holds an event of <paramref name="kind"/>.</summary>
    private static async Task<IReadOnlyList<TrackingEvent>> UntilAsync(TestRouter router, string id, string kind)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var events = await router.Node.Tracking.FindAsync(id);
            if (events.Any(e => e.Event == kind))
                return events;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no {kind} event for {id} within {Timeout.TotalSeconds}s; have: {string.Join(", ", events.Select(e => e.Event))}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_delivered_message_has_its_whole_history_received_routed_attempt_delivered()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "track-one");
        var events = await UntilAsync(router, queueId, TrackingEventKind.Delivered);

        Assert.Equal([TrackingEventKind.Received, TrackingEventKind.Routed, TrackingEventKind.Attempt, TrackingEventKind.Delivered], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(queueId, e.QueueId));
        Assert.All(events, e => Assert.Equal("test", e.Node));
        var received = events[0];
        Assert.Equal("127.0.0.1", received.Client);
        Assert.False(string.IsNullOrEmpty(received.Helo));
        Assert.Equal("sender@example.org", received.Sender);
        Assert.Equal(["user@example.net"], received.Recipients);
        Assert.Equal("<track-one@test.example>", received.MessageId);
        Assert.True(received.Size > 1000);
        var routed = events[1];
        Assert.Equal("out-fw-a", routed.Connector);
        Assert.Equal("*;1", routed.Tier);
        var attempt = events[2];
        Assert.Equal(("fw-a", "completed", 250, 1), (attempt.Firewall, attempt.Outcome, attempt.Code, attempt.Attempt));
        var delivered = events[3];
        Assert.Equal(("out-fw-a", "fw-a", 250), (delivered.Connector, delivered.Firewall, delivered.Code));
        Assert.Equal(["user@example.net"], delivered.Recipients);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Time <= p.Second.Time), "events out of time order");

        // The same history by Message-ID, with or without its angle brackets.
        Assert.Equal(events.Count, (await router.Node.Tracking.FindAsync("<track-one@test.example>")).Count);
        Assert.Equal(events.Count, (await router.Node.Tracking.FindAsync("track-one@test.example")).Count);
        Assert.Single(Directory.GetFiles(Path.Combine(router.SpoolPath, "tracking"), "tracking-*.jsonl"));
    }

    [Fact]
    public async Task A_deferred_then_delivered_message_shows_the_4xx_the_wait_and_the_second_attempt()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "track-deferred");
        var waiting = await UntilAsync(router, queueId, TrackingEventKind.Deferred);
        var firstAttempt = waiting.Single(e => e.Event == TrackingEventKind.Attempt);
        Assert.Equal(("transient_rejection", 451, 1), (firstAttempt.Outcome, firstAttempt.Code, firstAttempt.Attempt));
        var deferred = waiting.Single(e => e.Event == TrackingEventKind.Deferred);
        Assert.Equal("fw-a", deferred.Firewall);
        Assert.Contains("451", deferred.Reply);
        Assert.True(deferred.NextAttempt > deferred.Time, "the next attempt is not after the deferral");

        fw.Behavior = FirewallBehavior.Accept;
        var events = await UntilAsync(router, queueId, TrackingEventKind.Delivered);

        Assert.Equal(
            [
                TrackingEventKind.Received, TrackingEventKind.Routed, TrackingEventKind.Attempt, TrackingEventKind.Deferred,
                TrackingEventKind.Routed, TrackingEventKind.Attempt, TrackingEventKind.Delivered,
            ],
            events.Select(e => e.Event));
        Assert.Equal(("completed", 250, 2), (events[5].Outcome, events[5].Code, events[5].Attempt));
    }

    [Fact]
    public async Task A_bounced_message_shows_the_5xx_the_status_given_to_the_sender_and_its_dsn_and_is_counted_per_connector_and_firewall()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        await using var router = await TestRouter.StartAsync(BounceTests.Config(outbound, hub));

        var queueId = await SendAsync(router, "track-bounced", from: "alice@corp.example", to: "nobody@example.net");
        var events = await UntilAsync(router, queueId, TrackingEventKind.Bounced);

        // The DSN is durable before the failure is journaled, so its line comes first.
        Assert.Equal(
            [TrackingEventKind.Received, TrackingEventKind.Routed, TrackingEventKind.Attempt, TrackingEventKind.Dsn, TrackingEventKind.Bounced],
            events.Select(e => e.Event));
        Assert.Equal(550, events[2].Code);
        var bounced = events[4];
        Assert.Equal(("internet", "fw-out", "5.1.1"), (bounced.Connector, bounced.Firewall, bounced.Status));
        Assert.Equal(["nobody@example.net"], bounced.Recipients);
        Assert.Contains("550 5.1.1", bounced.Reply);

        // The DSN has a history of its own: received from the null sender, delivered to alice through the internal connector.
        var dsnQueueId = events[3].DsnQueueId;
        Assert.NotNull(dsnQueueId);
        var dsn = await UntilAsync(router, dsnQueueId, TrackingEventKind.Delivered);
        Assert.Equal((string.Empty, "alice@corp.example"), (dsn[0].Sender, Assert.Single(dsn[0].Recipients!)));
        Assert.Equal(TrackingEventKind.Received, dsn[0].Event);
        Assert.Contains(queueId, dsn[0].Reply);
        Assert.Equal(("internal", "mailhub"), (dsn[^1].Connector, dsn[^1].Firewall));

        var metrics = PrometheusText.Parse(await router.Node.Metrics.ExportTextAsync());
        Assert.Equal(1, metrics.Value("router_recipients_bounced_total", ("connector", "internet"), ("firewall", "fw-out")));
        Assert.Equal(0, metrics.Value("router_recipients_delivered_total", ("connector", "internet"), ("firewall", "fw-out")));
    }

    [Fact]
    public async Task A_message_an_operator_deletes_without_a_bounce_ends_with_deleted_and_cancelled()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "track-deleted");
        await UntilAsync(router, queueId, TrackingEventKind.Deferred);
        await router.Node.Routing.Ask<Router.Messages.Queue.QueueCommandDone>(new Router.Messages.Queue.DeleteMessage(queueId, Bounce: false), Timeout);
        var events = await UntilAsync(router, queueId, TrackingEventKind.Cancelled);

        var deleted = events.Single(e => e.Event == TrackingEventKind.Deleted);
        Assert.Contains("without a bounce", deleted.Reply);
        var cancelled = events.Single(e => e.Event == TrackingEventKind.Cancelled);
        Assert.Equal(["user@example.net"], cancelled.Recipients);
        Assert.DoesNotContain(events, e => e.Event is TrackingEventKind.Bounced or TrackingEventKind.Dsn or TrackingEventKind.Delivered);
    }
}
