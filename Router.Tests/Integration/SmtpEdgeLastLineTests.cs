using System.Text;
using Router.Testing.Firewalls;
using static Router.Tests.Integration.EdgeDataSessions;

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
        await AssertEachRelayedAsync(router, fw, ids.Select((id, i) => (id, cases[i].Content)));
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

        await AssertEachRelayedAsync(router, fw, sent.Select(id => (id, content)));
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
        Assert.StartsWith("552 5.3.4 ", await DataAsync(session, Content(max + 1, "over") + ".\r\n"));
        // Declared as what it is, the same message is taken at MAIL and after the data.
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync($"MAIL FROM:<a@example.org> SIZE={max}"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354 ", await session.ReplyAsync("DATA"));
        await session.WriteAsync(Content(max, "declared") + ".\r\n");
        var declared = await session.ReadLineAsync().WaitAsync(Deadline);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", declared);

        await AssertEachRelayedAsync(router, fw, [(id, exact), (declared!.Split(' ').Last(), Content(max, "declared"))]);
    }
}
