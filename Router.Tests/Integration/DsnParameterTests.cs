using MimeKit;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 4: the ESMTP DSN parameters (RFC 3461) a client sends are honoured in the bounce.</summary>
public sealed class DsnParameterTests
{
    private static Task<TestRouter> StartAsync(FakeFirewall outbound, FakeFirewall hub) =>
        TestRouter.StartAsync(BounceTests.Config(outbound, hub));

    /// <summary>One transaction over a raw socket, so the exact MAIL and RCPT parameters are ours.</summary>
    private static async Task<string> SendRawAsync(TestRouter router, string mail, params string[] rcpts)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        var queued = await session.TransactionAsync(mail, rcpts, "Subject: dsn test\r\nMessage-ID: <dsn@test.example>\r\n\r\nbody line");
        await session.ReplyAsync("QUIT");
        return queued.Split(' ').Last();
    }

    [Fact]
    public async Task Notify_never_means_no_bounce_for_that_recipient()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        await using var router = await StartAsync(outbound, hub);

        var queueId = await SendRawAsync(router, "MAIL FROM:<alice@corp.example>", "RCPT TO:<nobody@example.net> NOTIFY=NEVER");

        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "the failed message is still queued");
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task Envid_orcpt_and_ret_full_shape_the_bounce()
    {
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        outbound.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        await using var router = await StartAsync(outbound, hub);

        await SendRawAsync(router, "MAIL FROM:<alice@corp.example> RET=FULL ENVID=env+2B42",
            "RCPT TO:<nobody@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;orig+40example.net");

        await hub.WaitForCountAsync(1, TimeSpan.FromSeconds(15));
        var dsn = MimeMessage.Load(new MemoryStream(hub.Messages.Single().Data));
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("env+42", status.StatusGroups[0]["Original-Envelope-Id"]);
        var recipient = status.StatusGroups[1];
        Assert.Equal("rfc822; nobody@example.net", recipient["Final-Recipient"]);
        Assert.Equal("rfc822;orig@example.net", recipient["Original-Recipient"]?.Replace(" ", string.Empty));
        // RET=FULL: the whole original comes back, body included.
        var returned = Assert.Single(report.OfType<MessagePart>());
        Assert.Contains("body line", returned.Message?.TextBody);
    }
}
