using System.Text;
using Akka.Actor;
using Router.Messages.Queue;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// RFC 5321 §4.1.1.4: the CRLF before the final dot of DATA ends the content's last line and belongs to the content.
/// SmtpServer 11.1.0 keeps it for its end marker and hands over the content without it, so a message ending in empty
/// lines lost one of them on the way through the router, and a message of one empty line was stored empty. The
/// session's guarded reader hands the library one more CRLF before the end: the spool keeps the content whole. Real
/// sockets, a real router; the octets compared are the spool's stored copy and what a FakeFirewall received (it puts
/// back the CRLF its own copy of the library keeps, so its copy is what the router sent as content).
/// </summary>
public sealed class SmtpEdgeLastLineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp = "") =>
        TestRouter.StartAsync($$"""
            smtp { {{smtp}} }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);

    private static async Task<RawSmtpSession> OpenAsync(TestRouter router)
    {
        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        Assert.StartsWith("220 ", greeting);
        Assert.StartsWith("250 ", (await session.SendAsync("EHLO client.test")).Last());
        return session;
    }

    private static Task<QueueCommandDone> PauseOutboundAsync(TestRouter router, bool pause) =>
        router.Node.Routing.Ask<QueueCommandDone>(new HoldCommand(HoldTarget.Outbound, null, pause), TimeSpan.FromSeconds(10));

    /// <summary>One transaction whose data is written in <paramref name="pieces"/> (a pause between them); the reply to it.</summary>
    private static async Task<string> SendAsync(RawSmtpSession session, params string[] pieces)
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

    private static async Task<string> QueuedAsync(RawSmtpSession session, params string[] pieces)
    {
        var reply = await SendAsync(session, pieces);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        return reply.Split(' ').Last();
    }

    /// <summary>The spool's copy: the Received header, then the content.</summary>
    private static byte[] Stored(TestRouter router, string queueId)
    {
        using var body = router.Node.Spool.OpenBody(queueId);
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task<byte[]> DeliveredAsync(TestRouter router, FakeFirewall fw, string queueId)
    {
        var id = $" id {queueId}\r\n";
        await Eventually.TrueAsync(() => fw.Messages.Any(m => Encoding.ASCII.GetString(m.Data).Contains(id, StringComparison.Ordinal)),
            Deadline, $"{queueId} not delivered");
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), Deadline, $"{queueId} still in the spool");
        return Assert.Single(fw.Messages, m => Encoding.ASCII.GetString(m.Data).Contains(id, StringComparison.Ordinal)).Data;
    }

    [Fact]
    public async Task Trailing_empty_lines_and_a_message_of_one_empty_line_are_kept_in_the_spool_and_on_the_wire()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        Assert.Equal("pause", (await PauseOutboundAsync(router, true)).Command);

        var big = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i:D5} of a message of many pipe segments\r\n")) + "\r\n\r\n";
        // (the content, how the client writes it after the 354: the content and ".\r\n" in those pieces)
        (string Content, string[] Pieces)[] cases =
        [
            // Two empty lines at the end: both kept.
            ("Subject: two\r\n\r\nbody\r\n\r\n\r\n", ["Subject: two\r\n\r\nbody\r\n\r\n\r\n.\r\n"]),
            // A message of one empty line, and one of two.
            ("\r\n", ["\r\n.\r\n"]),
            ("\r\n\r\n", ["\r\n\r\n.\r\n"]),
            // An ordinary message: its copy ends with exactly one CRLF.
            ("Subject: plain\r\n\r\nbody\r\n", ["Subject: plain\r\n\r\nbody\r\n.\r\n"]),
            // A stuffed first line, then an empty last line.
            (".first\r\n\r\n", ["..first\r\n\r\n.\r\n"]),
            // Larger than one read: the end is found where it comes, the content handed over without a copy.
            (big, [big + ".\r\n"]),
        ];
        var ids = new List<string>();
        foreach (var (_, pieces) in cases)
            ids.Add(await QueuedAsync(session, pieces));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("NOOP"));

        for (var i = 0; i < cases.Length; i++)
            RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(cases[i].Content), Stored(router, ids[i]));
        Assert.EndsWith("body\r\n", Encoding.ASCII.GetString(Stored(router, ids[3])));
        Assert.DoesNotContain("body\r\n\r\n", Encoding.ASCII.GetString(Stored(router, ids[3])));

        await PauseOutboundAsync(router, false);
        for (var i = 0; i < cases.Length; i++)
            RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(cases[i].Content), await DeliveredAsync(router, fw, ids[i]));
        Assert.Equal(cases.Length, fw.Count);
    }

    [Fact]
    public async Task The_end_of_data_split_at_any_octet_keeps_the_last_empty_line_and_the_next_command()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        const string content = "Subject: split\r\n\r\nbody\r\n\r\n";
        const string wire = content + ".\r\n";
        var sent = new List<string>();
        // Split once at each octet of the last line and the end marker ("\r\n" "\r\n" "." "\r\n").
        for (var at = wire.Length - 7; at < wire.Length; at++)
            sent.Add(await QueuedAsync(session, wire[..at], wire[at..]));
        // Every octet on its own.
        sent.Add(await QueuedAsync(session, wire.Select(c => c.ToString()).ToArray()));
        // The end with the next command in the same write: the command is read as a command.
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354 ", await session.ReplyAsync("DATA"));
        await session.WriteAsync(wire + "NOOP\r\n");
        var replies = new[] { await session.ReadLineAsync().WaitAsync(Deadline), await session.ReadLineAsync().WaitAsync(Deadline) };
        Assert.StartsWith("250 2.0.0 Ok: queued as ", replies[0]);
        Assert.Equal("250 2.0.0 Ok", replies[1]);
        sent.Add(replies[0]!.Split(' ').Last());
        Assert.Equal(sent.Count, sent.Distinct().Count());

        foreach (var id in sent)
            RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(content), await DeliveredAsync(router, fw, id));
        Assert.Equal(sent.Count, fw.Count);
    }

    [Fact]
    public async Task A_message_of_exactly_max_message_size_octets_its_final_crlf_counted_as_SIZE_counts_it_is_taken()
    {
        const int max = 2000;
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"max-message-size = {max}");
        using var session = await OpenAsync(router);

        // RFC 1870 §3: the size counts the CRLF pairs of the content, its last one included, not the final dot.
        static string Content(int size, string marker)
        {
            var text = new StringBuilder($"Subject: {marker}\r\n\r\n");
            while (size - text.Length > 100)
                text.Append('x', 98).Append("\r\n");
            return text.Append('y', size - text.Length - 2).Append("\r\n").ToString();
        }
        var exact = Content(max, "exact");
        Assert.Equal(max, exact.Length);
        var id = await QueuedAsync(session, exact + ".\r\n");
        Assert.StartsWith("552 5.3.4 ", await SendAsync(session, Content(max + 1, "over") + ".\r\n"));
        // Declared as what it is, the same message is taken at MAIL and after the data.
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync($"MAIL FROM:<a@example.org> SIZE={max}"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354 ", await session.ReplyAsync("DATA"));
        await session.WriteAsync(Content(max, "declared") + ".\r\n");
        var declared = await session.ReadLineAsync().WaitAsync(Deadline);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", declared);

        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(exact), await DeliveredAsync(router, fw, id));
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(Content(max, "declared")), await DeliveredAsync(router, fw, declared!.Split(' ').Last()));
        Assert.Equal(2, fw.Count);
    }
}
