using System.Text;
using Akka.Actor;
using Router.Messages.Queue;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// What the DATA transparency tests (<see cref="SmtpEdgeDotStuffingTests"/>, <see cref="SmtpEdgeLastLineTests"/>) share: a
/// router with one FakeFirewall, a raw session, transactions whose data is written in pieces, the spool's stored copy
/// and what the firewall received.
/// </summary>
internal static class EdgeDataSessions
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp = "") =>
        TestRouter.StartAsync($$"""
            smtp { {{smtp}} }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);

    public static async Task<RawSmtpSession> OpenAsync(TestRouter router)
    {
        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        Assert.StartsWith("220 ", greeting);
        Assert.StartsWith("250 ", (await session.SendAsync("EHLO client.test")).Last());
        return session;
    }

    public static Task<QueueCommandDone> PauseOutboundAsync(TestRouter router, bool pause) =>
        router.Node.Routing.Ask<QueueCommandDone>(new HoldCommand(HoldTarget.Outbound, null, pause), TimeSpan.FromSeconds(10));

    /// <summary>
    /// One transaction whose data (after the 354) is written in <paramref name="pieces"/>, each its own write, a pause
    /// between them so that they reach the router apart; the reply to it.
    /// </summary>
    public static async Task<string> DataAsync(RawSmtpSession session, params string[] pieces)
    {
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354 ", await session.ReplyAsync("DATA"));
        for (var i = 0; i < pieces.Length; i++)
        {
            if (i > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(30));
            await session.WriteAsync(pieces[i]);
        }
        var reply = await session.ReadLineAsync().WaitAsync(Deadline);
        Assert.NotNull(reply);
        return reply;
    }

    /// <summary><see cref="DataAsync"/>, accepted: the queue id of its 250.</summary>
    public static async Task<string> QueuedAsync(RawSmtpSession session, params string[] pieces)
    {
        var reply = await DataAsync(session, pieces);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        return reply.Split(' ').Last();
    }

    /// <summary>The spool's copy: the Received header, then the content (its final CRLF included).</summary>
    public static byte[] Stored(TestRouter router, string queueId)
    {
        using var body = router.Node.Spool.OpenBody(queueId);
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Each message reached the firewall as its expected content after the router's Received header
    /// (<see cref="RelayTests.AssertRelayedUnchanged"/>), and the firewall received nothing else.
    /// </summary>
    public static async Task AssertEachRelayedAsync(TestRouter router, FakeFirewall fw, IEnumerable<(string Id, string Expected)> sent)
    {
        var count = 0;
        foreach (var (id, expected) in sent)
        {
            RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(expected), await DeliveredAsync(router, fw, id));
            count++;
        }

        Assert.Equal(count, fw.Count);
    }

    /// <summary>What the firewall received for <paramref name="queueId"/> (its Received header names it), once.</summary>
    public static async Task<byte[]> DeliveredAsync(TestRouter router, FakeFirewall fw, string queueId)
    {
        var id = $" id {queueId}\r\n";
        await Eventually.TrueAsync(() => fw.Messages.Any(m => Encoding.ASCII.GetString(m.Data).Contains(id, StringComparison.Ordinal)),
            Deadline, $"{queueId} not delivered");
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), Deadline, $"{queueId} still in the spool");
        return Assert.Single(fw.Messages, m => Encoding.ASCII.GetString(m.Data).Contains(id, StringComparison.Ordinal)).Data;
    }
}
