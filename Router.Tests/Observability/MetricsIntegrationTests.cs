using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Observability;

/// <summary>A router in this process with fake firewalls: its exported metrics move as mail flows.</summary>
public sealed class MetricsIntegrationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<PrometheusText> ScrapeAsync(TestRouter router) =>
        PrometheusText.Parse(await router.Node.Metrics.ExportTextAsync());

    /// <summary>Scrapes until <paramref name="condition"/> holds; fails with the last scrape's figure after the timeout.</summary>
    private static async Task<PrometheusText> UntilAsync(TestRouter router, Func<PrometheusText, bool> condition, string because)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var text = await ScrapeAsync(router);
            if (condition(text))
                return text;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"not within {Timeout.TotalSeconds}s: {because}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Accepted_delivered_per_firewall_latency_sessions_and_fsync_batches_move_as_mail_flows()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var before = await ScrapeAsync(router);
        Assert.Equal(0, before.Value("router_messages_accepted_total"));
        Assert.Equal(0, before.Value("router_smtp_sessions_total"));

        const int total = 20;
        await TestMail.SendAsync(router.Smtp, Enumerable.Range(0, total).Select(i => TestMail.Build($"metrics-{i:D3}")));
        var after = await UntilAsync(router,
            t => t.Sum("router_recipients_delivered_total") >= total && t.Value("router_queue_messages") == 0,
            "every message delivered and the spool empty");

        Assert.Equal(total, after.Value("router_messages_accepted_total"));
        Assert.True(after.Value("router_accepted_bytes_total") >= total * 1000, "accepted bytes");
        Assert.Equal(fwA.Count, after.Value("router_recipients_delivered_total", ("connector", "out-fw-a"), ("firewall", "fw-a")));
        Assert.Equal(fwB.Count, after.Value("router_recipients_delivered_total", ("connector", "out-fw-b"), ("firewall", "fw-b")));
        Assert.Equal(total, fwA.Count + fwB.Count);
        Assert.Equal(total, after.Sum("router_delivery_attempts_total", ("outcome", "completed")));
        Assert.Equal(total, after.Value("router_delivery_latency_seconds_count"));
        Assert.Equal(0, after.Value("router_queue_bytes"));
        // One client connection carried all of them.
        Assert.Equal(1, after.Value("router_smtp_sessions_total"));
        // Group commit: every accept and every finish was made durable by some fsync.
        Assert.True(after.Value("router_spool_fsync_batch_records_count") >= 1, "no fsync was recorded");
        Assert.True(after.Value("router_spool_fsync_batch_records_sum") >= 2 * total, "fewer records than accepts and finishes");
        Assert.Equal(after.Value("router_spool_fsync_batch_records_count"), after.Value("router_spool_fsync_seconds_count"));
        Assert.Equal(0, after.Sum("router_firewall_trips_total"));
    }

    [Fact]
    public async Task Open_sessions_are_counted_while_they_last()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        Assert.StartsWith("220", greeting);
        await UntilAsync(router, t => t.Value("router_smtp_sessions_open") == 1, "the open session is not counted");
        Assert.StartsWith("221", await session.ReplyAsync("QUIT"));
        session.Dispose();
        await UntilAsync(router, t => t.Value("router_smtp_sessions_open") == 0, "the closed session is still counted");
        Assert.Equal(1, (await ScrapeAsync(router)).Value("router_smtp_sessions_total"));
    }

    [Fact]
    public async Task Deferred_mail_shows_in_the_queue_gauges_and_the_deferral_counter_until_it_goes()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        await TestMail.SendAsync(router.Smtp, Enumerable.Range(0, 3).Select(i => TestMail.Build($"wait-{i}")));
        var waiting = await UntilAsync(router, t => t.Value("router_recipients_deferred_total", ("connector", "out-fw-a"), ("firewall", "fw-a")) >= 3,
            "the 451s are not counted as deferrals");
        Assert.Equal(3, waiting.Value("router_queue_messages"));
        Assert.True(waiting.Value("router_queue_bytes") >= 3 * 1000, "queued bytes");
        Assert.True(waiting.Value("router_delivery_attempts_total", ("connector", "out-fw-a"), ("firewall", "fw-a"), ("outcome", "transient_rejection")) >= 3);

        fw.Behavior = FirewallBehavior.Accept;
        var done = await UntilAsync(router, t => t.Value("router_queue_messages") == 0, "the deferred mail never left the queue");
        Assert.Equal(3, done.Value("router_recipients_delivered_total", ("connector", "out-fw-a"), ("firewall", "fw-a")));
    }

    [Fact]
    public async Task A_stopped_firewall_trips_the_counter_and_its_health_gauge_leaves_healthy_until_it_recovers()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var healthy = await UntilAsync(router, t => t.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "healthy")) == 1,
            "fw-a is not shown healthy at start");
        Assert.Equal(0, healthy.Value("router_firewall_trips_total", ("firewall", "fw-a")));
        Assert.Equal(0, healthy.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "tripped")));

        await fwA.StopAsync();
        await TestMail.SendAsync(router.Smtp, Enumerable.Range(0, 12).Select(i => TestMail.Build($"trip-{i:D2}")));
        var tripped = await UntilAsync(router, t => t.Value("router_firewall_trips_total", ("firewall", "fw-a")) >= 1, "fw-a never tripped");
        Assert.Equal(0, tripped.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "healthy")));
        Assert.Equal(1, tripped.Sum("router_firewall_health_state", ("firewall", "fw-a")));
        Assert.True(tripped.Sum("router_delivery_attempts_total", ("firewall", "fw-a"), ("outcome", "connect_failed")) >= 1, "no refused connection counted");
        Assert.Equal(1, tripped.Value("router_firewall_health_state", ("firewall", "fw-b"), ("state", "healthy")));
        Assert.Equal(0, tripped.Value("router_firewall_trips_total", ("firewall", "fw-b")));

        await fwA.RestartAsync();
        await UntilAsync(router, t => t.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "healthy")) == 1,
            "fw-a is not shown healthy again after it came back");
    }
    [Fact]
    public async Task Refusals_at_the_edge_are_counted_by_reason()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        // Loopback is not a relay network here: this client may not relay.
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw) + "smtp.relay.allowed-networks = [\"10.0.0.0/8\"]");
        var before = await ScrapeAsync(router);
        foreach (var reason in Router.Actors.Ingress.RefusalReason.All)
            Assert.Equal(0, before.Value("router_smtp_refused_total", ("reason", reason)));

        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (session)
        {
            Assert.StartsWith("220", greeting);
            Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<app@corp.test>"));
            Assert.StartsWith("554 5.7.1", await session.ReplyAsync("RCPT TO:<someone@example.net>"));
            Assert.StartsWith("554 5.7.1", await session.ReplyAsync("RCPT TO:<other@example.org>"));
            Assert.StartsWith("250", await session.ReplyAsync("RSET"));
            // One byte over the default max-message-size (36700160).
            Assert.StartsWith("552", await session.ReplyAsync("MAIL FROM:<app@corp.test> SIZE=36700161"));
        }

        var after = await UntilAsync(router, t => t.Value("router_smtp_refused_total", ("reason", "relay_denied")) == 2,
            "the two refused relay attempts are not counted");
        Assert.Equal(1, after.Value("router_smtp_refused_total", ("reason", "message_too_big")));
        Assert.Equal(3, after.Sum("router_smtp_refused_total"));
        Assert.Equal(0, after.Value("router_messages_accepted_total"));
    }
}
