using System.Text;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>No smuggled end-of-data sequence leaves the router (issue 7's smuggling clause, done early).</summary>
public sealed class SmugglingTests
{
    // A published variant: "\n.\r\n" ends DATA for some servers; what follows would be a second message.
    private const string Smuggling = "Subject: hello\r\n\r\nhi\n.\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: spoofed\r\n\r\nx\r\n";

    private static async Task<string> SendDataAsync(TestRouter router, string data)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        return await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"], data);
    }

    [Fact]
    public async Task Data_with_a_bare_lf_is_refused_with_550_5_6_0()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));
        Assert.StartsWith("550 5.6.0 ", await SendDataAsync(router, Smuggling));
        Assert.Equal(0, router.Node.Spool.Statistics.MessagesQueued);
    }

    [Fact]
    public async Task With_normalize_the_message_is_relayed_with_crlf_only()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync("smtp.bare-line-endings = normalize\n" + TestRouter.EqualCost(fw));
        Assert.StartsWith("250 ", await SendDataAsync(router, Smuggling));
        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        var relayed = fw.Messages.Single().Data;
        Assert.Null(Router.Actors.Ingress.BareLineEndings.Find(new System.Buffers.ReadOnlySequence<byte>(relayed)));
        // The would-be end of data is now an ordinary line (dot-stuffed on the wire, so the firewall
        // sees one message whose text contains it), not the end of a first message.
        Assert.Contains("hi\r\n.\r\nMAIL FROM", Encoding.ASCII.GetString(relayed));
        Assert.Equal(1, fw.Count);
    }
}
