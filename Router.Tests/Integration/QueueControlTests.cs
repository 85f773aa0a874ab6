using Akka.Actor;
using Router.Messages.Queue;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 4: every queue-control operation end to end, as actor messages to the router.</summary>
public sealed class QueueControlTests
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private static Task<T> AskAsync<T>(TestRouter router, object message) => router.Node.Routing.Ask<T>(message, AskTimeout);

    private static string TwoRoutes(FakeFirewall a, FakeFirewall b, FakeFirewall hub, string extra = "") => $$"""
        retry.schedule = [1h]
        {{extra}}
        firewalls {
          fw-a { host = "127.0.0.1", port = {{a.Port}} }
          fw-b { host = "127.0.0.1", port = {{b.Port}} }
          mailhub { host = "127.0.0.1", port = {{hub.Port}} }
        }
        connectors {
          conn-a { address-spaces = ["a.example;1"], firewalls = [fw-a] }
          conn-b { address-spaces = ["*;1"], firewalls = [fw-b] }
          internal { address-spaces = ["corp.example;1"], firewalls = [mailhub] }
        }
        """;

    private static async Task<string> SendAsync(TestRouter router, string id, string to, string from = "sender@corp.example")
    {
        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(TestMail.Format, TestMail.Load(TestMail.Build(id)), MimeKit.MailboxAddress.Parse(from), [MimeKit.MailboxAddress.Parse(to)]);
        await client.DisconnectAsync(true);
        return reply.Split(' ').Last();
    }

    private static async Task<QueueListing> WaitForStateAsync(TestRouter router, string queueId, string state)
    {
        QueueListing listing = new([]);
        await Eventually.TrueAsync(async () =>
        {
            listing = await AskAsync<QueueListing>(router, new ListQueue(State: state));
            return listing.Entries.Any(e => e.QueueId == queueId);
        }, TimeSpan.FromSeconds(10), $"{queueId} never became {state}");
        return listing;
    }

    [Fact]
    public async Task Deferred_mail_is_listed_with_its_next_attempt_and_retry_now_sends_it_at_once()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        a.Behavior = FirewallBehavior.Reject550Or450Recipient("nobody", "later");
        await using var router = await TestRouter.StartAsync(TwoRoutes(a, b, hub));

        var queueId = await SendAsync(router, "q1", "later@a.example");
        var listing = await WaitForStateAsync(router, queueId, "deferred");
        var entry = listing.Entries.Single(e => e.QueueId == queueId);
        Assert.Equal(["later@a.example"], entry.Recipients);
        Assert.True(entry.NextAttempt > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(50), $"next attempt {entry.NextAttempt}");
        Assert.Equal("sender@corp.example", Assert.Single((await AskAsync<QueueListing>(router, new ListQueue(Sender: "sender@corp.example"))).Entries).Sender);

        a.Behavior = FirewallBehavior.Accept;
        var done = await AskAsync<QueueCommandDone>(router, new RetryQueue(queueId));
        Assert.Equal(1, done.Affected);
        await a.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        // Idempotent: nothing left to retry.
        Assert.Equal(0, (await AskAsync<QueueCommandDone>(router, new RetryQueue(queueId))).Affected);
    }

    [Fact]
    public async Task A_suspended_connector_gets_no_mail_even_after_a_restart_until_it_is_resumed()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        var spool = TestRouter.NewSpoolPath();
        var config = $$"""
            firewalls {
              fw-a { host = "127.0.0.1", port = {{a.Port}} }
              fw-b { host = "127.0.0.1", port = {{b.Port}} }
            }
            connectors {
              conn-a { address-spaces = ["*;1"], firewalls = [fw-a] }
              conn-b { address-spaces = ["*;1"], firewalls = [fw-b] }
            }
            """;
        await using (var first = await TestRouter.StartAsync(config, spool))
        {
            Assert.IsType<QueueCommandDone>(await AskAsync<QueueCommandDone>(first, new SuspendConnector("conn-a")));
            await TestMail.SendAsync(first.Smtp, Enumerable.Range(0, 20).Select(i => TestMail.Build($"s1-{i}")));
            await b.WaitForCountAsync(20, TimeSpan.FromSeconds(10));
            Assert.Equal(0, a.Count);
        }

        await using var second = await TestRouter.StartAsync(config, spool);
        await TestMail.SendAsync(second.Smtp, Enumerable.Range(0, 20).Select(i => TestMail.Build($"s2-{i}")));
        await b.WaitForCountAsync(40, TimeSpan.FromSeconds(10));
        Assert.Equal(0, a.Count);

        await AskAsync<QueueCommandDone>(second, new ResumeConnector("conn-a"));
        await TestMail.SendAsync(second.Smtp, Enumerable.Range(0, 40).Select(i => TestMail.Build($"s3-{i}")));
        await Eventually.TrueAsync(() => a.Count + b.Count >= 80, TimeSpan.FromSeconds(10), () => $"a {a.Count} b {b.Count}");
        Assert.True(a.Count > 0, "a resumed connector must take mail again");
    }

    [Fact]
    public async Task Mail_for_a_firewall_can_be_redirected_to_another_connector_until_cancelled_even_across_a_restart()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        a.Behavior = FirewallBehavior.Reject451OnMail;
        var spool = TestRouter.NewSpoolPath();
        await using (var router = await TestRouter.StartAsync(TwoRoutes(a, b, hub), spool))
        {
            var queueId = await SendAsync(router, "r1", "someone@a.example");
            await WaitForStateAsync(router, queueId, "deferred");

            var done = await AskAsync<QueueCommandDone>(router, new RedirectFirewall("fw-a", "conn-b"));
            Assert.True(done.Affected >= 1);
            await b.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
            Assert.Equal(["someone@a.example"], b.Messages.Single().Recipients);
        }

        a.Behavior = FirewallBehavior.Accept;
        await using var restarted = await TestRouter.StartAsync(TwoRoutes(a, b, hub), spool);
        await SendAsync(restarted, "r2", "other@a.example");
        await b.WaitForCountAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(0, a.Count);

        Assert.Equal(1, (await AskAsync<QueueCommandDone>(restarted, new CancelRedirect("fw-a"))).Affected);
        await SendAsync(restarted, "r3", "third@a.example");
        await a.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(["third@a.example"], a.Messages.Single().Recipients);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_deleted_message_leaves_the_spool_with_or_without_a_bounce(bool bounce)
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        a.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TwoRoutes(a, b, hub));

        var queueId = await SendAsync(router, "d1", "someone@a.example");
        await WaitForStateAsync(router, queueId, "deferred");

        await AskAsync<QueueCommandDone>(router, new DeleteMessage(queueId, bounce));
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "the deleted message is still queued");
        Assert.DoesNotContain((await AskAsync<QueueListing>(router, new ListQueue())).Entries, e => e.QueueId == queueId);
        if (bounce)
        {
            await hub.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
            Assert.Contains("5.0.0", System.Text.Encoding.ASCII.GetString(hub.Messages.Single().Data));
        }
        else
        {
            // Idempotent, and still no bounce: deleting again changes nothing.
            Assert.Equal(0, (await AskAsync<QueueCommandDone>(router, new DeleteMessage(queueId, false))).Affected);
            Assert.Equal(0, hub.Count);
        }
    }
}

public sealed class RetryAcrossRestartTests
{
    [Fact]
    public async Task Deferred_mail_keeps_its_retry_time_across_a_restart_instead_of_being_retried_at_once()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject451OnMail;
        var spool = TestRouter.NewSpoolPath();
        var config = $$"""
            retry.schedule = [1h]
            {{TestRouter.EqualCost(fw)}}
            """;
        string queueId;
        await using (var first = await TestRouter.StartAsync(config, spool))
        {
            queueId = (await TestMail.SendAsync(first.Smtp, [TestMail.Build("keep-waiting")])).Single().Split(' ').Last();
            await Eventually.TrueAsync(() => first.Node.Spool.Find(queueId)?.NextAttempt is not null, TimeSpan.FromSeconds(10), "the deferral was not recorded");
        }

        fw.Behavior = FirewallBehavior.Accept;
        await using var second = await TestRouter.StartAsync(config, spool);
        var listing = await second.Node.Routing.Ask<QueueListing>(new ListQueue(), TimeSpan.FromSeconds(10));
        var entry = Assert.Single(listing.Entries);
        Assert.Equal("deferred", entry.State);
        Assert.True(entry.NextAttempt > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(50));
        Assert.Equal(0, fw.Count);

        await second.Node.Routing.Ask<QueueCommandDone>(new RetryQueue(), TimeSpan.FromSeconds(10));
        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
    }
}
