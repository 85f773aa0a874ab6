using MimeKit;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 4: permanent failures come back to the sender as a DSN that is routed like any mail.</summary>
public sealed class BounceTests
{
    /// <summary>An internet connector and an internal one back to the mail hub of corp.example, where bounces to alice go.</summary>
    internal static string Config(FakeFirewall outbound, FakeFirewall internalHub, string extra = "") => $$"""
        {{extra}}
        firewalls {
          fw-out { host = "127.0.0.1", port = {{outbound.Port}} }
          mailhub { host = "127.0.0.1", port = {{internalHub.Port}} }
        }
        connectors {
          internet { address-spaces = ["*;1"], firewalls = [fw-out] }
          internal { address-spaces = ["corp.example;1"], firewalls = [mailhub] }
        }
        """;

    private static async Task<string> SendAsync(TestRouter router, string sender, params string[] recipients)
    {
        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(TestMail.Format, TestMail.Load(TestMail.Build("bounce-me")),
            sender.Length == 0 ? new MailboxAddress(string.Empty, string.Empty) : MailboxAddress.Parse(sender),
            recipients.Select(MailboxAddress.Parse));
        await client.DisconnectAsync(true);
        return reply.Split(' ').Last();
    }

    private static IReadOnlyList<HeaderList> StatusGroups(ReceivedMessage dsn)
    {
        var message = MimeMessage.Load(new MemoryStream(dsn.Data));
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        return status.StatusGroups.Skip(1).ToArray();
    }

    [Fact]
    public async Task A_5xx_from_the_firewall_bounces_at_once_through_the_internal_connector()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        await using var router = await TestRouter.StartAsync(Config(outbound, hub));

        var queueId = await SendAsync(router, "alice@corp.example", "nobody@example.net");

        await hub.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        var dsn = hub.Messages.Single();
        Assert.Equal(string.Empty, dsn.MailFrom);
        Assert.Equal(["alice@corp.example"], dsn.Recipients);
        var group = Assert.Single(StatusGroups(dsn));
        Assert.Equal("rfc822; nobody@example.net", group["Final-Recipient"]);
        Assert.Equal("failed", group["Action"]);
        Assert.Equal("5.1.1", group["Status"]);
        Assert.Contains("550 5.1.1 User unknown", group["Diagnostic-Code"]);
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "the bounced message is still queued");
    }

    [Fact]
    public async Task A_message_from_the_null_sender_is_never_bounced()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        await using var router = await TestRouter.StartAsync(Config(outbound, hub));

        var queueId = await SendAsync(router, string.Empty, "nobody@example.net");

        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "the failed message is still queued");
        Assert.Equal(0, hub.Count);
        Assert.Equal(0, router.Node.Spool.Statistics.MessagesQueued);
    }

    [Fact]
    public async Task A_mixed_outcome_message_ends_with_one_delivery_one_bounce_line_and_a_retried_part_that_expires()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Or450Recipient("nobody", "busy");
        await using var router = await TestRouter.StartAsync(Config(outbound, hub, "retry { schedule = [500ms], expire-after = 3s }"));

        var queueId = await SendAsync(router, "alice@corp.example", "ok@example.net", "nobody@example.net", "busy@example.net");

        // One delivery, and one bounce for the 5xx recipient while the 4xx one is still retried.
        await outbound.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(["ok@example.net"], outbound.Messages.Single().Recipients);
        await hub.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("rfc822; nobody@example.net", Assert.Single(StatusGroups(hub.Messages[0]))["Final-Recipient"]);
        Assert.True(router.Node.Spool.Contains(queueId), "the message left the spool while a part was still being retried");

        // The 4xx part is retried on the schedule until it expires: a second DSN, 4.4.7, then the message is gone.
        await hub.WaitForCountAsync(2, TimeSpan.FromSeconds(15));
        var expired = Assert.Single(StatusGroups(hub.Messages[1]));
        Assert.Equal("rfc822; busy@example.net", expired["Final-Recipient"]);
        Assert.Equal("4.4.7", expired["Status"]);
        Assert.Equal("failed", expired["Action"]);
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "the message is still queued after every part is final");
        Assert.Equal(1, outbound.Count);
    }

    [Fact]
    public async Task Mail_with_too_many_received_headers_is_refused_as_a_loop_with_5_4_6()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        await using var router = await TestRouter.StartAsync(Config(outbound, hub, "smtp.max-hops = 5"));

        var looping = System.Text.Encoding.ASCII.GetBytes(
            string.Concat(Enumerable.Range(0, 6).Select(i => $"Received: from hop{i}.example by hop{i + 1}.example; Sat, 28 Nov 2026 12:00:00 +0000\r\n"))
            + "Subject: loop\r\n\r\nround and round\r\n");
        var error = await Assert.ThrowsAsync<MailKit.Net.Smtp.SmtpCommandException>(() => TestMail.SendAsync(router.Smtp, [looping]));
        Assert.Equal(554, (int)error.StatusCode);
        Assert.StartsWith("5.4.6", error.Message);

        var fine = System.Text.Encoding.ASCII.GetBytes(
            string.Concat(Enumerable.Range(0, 5).Select(i => $"Received: from hop{i}.example by hop{i + 1}.example; Sat, 28 Nov 2026 12:00:00 +0000\r\n"))
            + "Subject: fine\r\n\r\nfive hops\r\n");
        Assert.StartsWith("2.0.0", (await TestMail.SendAsync(router.Smtp, [fine])).Single());
    }
}

public sealed class DelayNoticeTests
{
    [Fact]
    public async Task Past_delay_notice_after_the_sender_gets_one_delayed_report_and_delivery_goes_on()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Or450Recipient("nobody", "busy");
        await using var router = await TestRouter.StartAsync(
            BounceTests.Config(outbound, hub, "retry { schedule = [300ms], expire-after = 1m, delay-notice-after = 1s }"));

        await TestMail.SendAsync(router.Smtp, [TestMail.Build("slow")], to: "busy@example.net", from: "alice@corp.example");
        await hub.WaitForCountAsync(1, TimeSpan.FromSeconds(15));
        var report = MimeKit.MimeMessage.Load(new MemoryStream(hub.Messages[0].Data));
        var status = Assert.Single(Assert.IsType<MimeKit.MultipartReport>(report.Body).OfType<MimeKit.MessageDeliveryStatus>());
        Assert.Equal("delayed", status.StatusGroups[1]["Action"]);
        Assert.NotNull(status.StatusGroups[1]["Will-Retry-Until"]);

        // Retries go on (several more attempts), and the notice is not repeated.
        var attempts = outbound.MailCommands;
        await Eventually.TrueAsync(() => outbound.MailCommands >= attempts + 3, TimeSpan.FromSeconds(10), "retries stopped after the delay notice");
        Assert.Equal(1, hub.Count);
    }
}
