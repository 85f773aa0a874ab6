using System.Text;
using Router.Testing.Firewalls;
using static Router.Tests.Integration.EdgeDataSessions;

namespace Router.Tests.Integration;

/// <summary>
/// DATA transparency (RFC 5321 §4.5.2) for the first line of a message. SmtpServer 11.1.0 unstuffs only after a CRLF
/// and the data it reads starts right after the DATA line, so it stored a stuffed first line (<c>..hello</c>) with the
/// client's stuffing dot, and never saw the end of an empty message (<c>.</c> right after the 354). The session's
/// guarded reader takes the first line's stuffing dot off before the library reads the data. Real sockets, a real
/// router; the octets compared are the spool's stored copy and what a FakeFirewall received.
/// </summary>
public sealed class SmtpEdgeDotStuffingTests
{
    /// <summary>Every byte of <paramref name="wire"/> written on its own.</summary>
    private static string[] Trickled(string wire) => wire.Select(c => c.ToString()).ToArray();

    private static void AssertStored(string original, byte[] stored) =>
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(original), stored);

    [Fact]
    public async Task A_stuffed_first_line_loses_only_its_stuffing_dot_in_the_spool_and_at_the_firewall()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        Assert.Equal("pause", (await PauseOutboundAsync(router, true)).Command);

        // (what the client sends after the 354, the message it means)
        (string Wire, string Original)[] cases =
        [
            // The first line and lines further down, each stuffed once: each loses one dot, no more.
            ("..hello\r\nSubject: first\r\n\r\n..middle\r\n...\r\nbody\r\n..\r\n.\r\n",
                ".hello\r\nSubject: first\r\n\r\n.middle\r\n..\r\nbody\r\n.\r\n"),
            // A first line of exactly ".." is the line ".", not the end of the data.
            ("..\r\nsecond\r\n.\r\n", ".\r\nsecond\r\n"),
            // ... also when the end follows at once.
            ("..\r\n.\r\n", ".\r\n"),
            ("...\r\nthird\r\n.\r\n", "..\r\nthird\r\n"),
            // A client that did not stuff: RFC 5321 §4.5.2 deletes the first dot of a line that has more.
            (".unstuffed\r\nfourth\r\n.\r\n", "unstuffed\r\nfourth\r\n"),
            // A first line without a dot is untouched.
            ("plain\r\n..fifth\r\n.\r\n", "plain\r\n.fifth\r\n"),
        ];
        var ids = new List<string>();
        foreach (var (wire, _) in cases)
            ids.Add(await QueuedAsync(session, wire));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("NOOP"));

        for (var i = 0; i < cases.Length; i++)
            AssertStored(cases[i].Original, Stored(router, ids[i]));

        await PauseOutboundAsync(router, false);
        await AssertEachRelayedAsync(router, fw, ids.Select((id, i) => (id, cases[i].Original)));
    }

    [Fact]
    public async Task A_stuffed_first_line_arriving_split_at_any_byte_loses_one_dot()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        const string wire = "..\r\n..split\r\n.\r\n";
        const string original = ".\r\n.split\r\n";
        var sent = new List<(string Id, string Original)>();
        // Split once at each of the first bytes: between the two dots, between the dot and the CR, between CR and LF...
        for (var at = 1; at <= 6; at++)
            sent.Add((await QueuedAsync(session, wire[..at], wire[at..]), original));
        // ... and the first line of another message byte by byte.
        sent.Add((await QueuedAsync(session, [.. Trickled("..trickled\r\n"), "second line\r\n.\r\n"]), ".trickled\r\nsecond line\r\n"));
        // The three octets of a would-be end marker apart: "..", then CR, then LF.
        sent.Add((await QueuedAsync(session, "..", "\r", "\n", "x\r\n.\r\n"), ".\r\nx\r\n"));
        // A whole transaction in one write, data before the 354: the first line is still the data's.
        await session.WriteAsync("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n..in one write\r\n.\r\nNOOP\r\n");
        var replies = new List<string?>();
        for (var i = 0; i < 5; i++)
            replies.Add(await session.ReadLineAsync().WaitAsync(Deadline));
        Assert.Equal(["250 2.0.0 Ok", "250 2.0.0 Ok"], replies[..2]);
        Assert.StartsWith("354 ", replies[2]);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", replies[3]);
        Assert.Equal("250 2.0.0 Ok", replies[4]);
        sent.Add((replies[3]!.Split(' ').Last(), ".in one write\r\n"));

        await AssertEachRelayedAsync(router, fw, sent);
    }

    [Fact]
    public async Task An_empty_message_is_taken_with_250_whole_split_or_pipelined_and_relayed_as_the_received_header_alone()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        Assert.Equal("pause", (await PauseOutboundAsync(router, true)).Command);

        var ids = new List<string>
        {
            await QueuedAsync(session, ".\r\n"),
            await QueuedAsync(session, ".", "\r\n"),
            await QueuedAsync(session, Trickled(".\r\n")),
        };
        // The end of an empty message with the next command in the same write: the command is read as a command.
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354 ", await session.ReplyAsync("DATA"));
        await session.WriteAsync(".\r\nNOOP\r\n");
        var replies = new[] { await session.ReadLineAsync().WaitAsync(Deadline), await session.ReadLineAsync().WaitAsync(Deadline) };
        Assert.StartsWith("250 2.0.0 Ok: queued as ", replies[0]);
        Assert.Equal("250 2.0.0 Ok", replies[1]);
        ids.Add(replies[0]!.Split(' ').Last());
        Assert.Equal(4, ids.Distinct().Count());

        foreach (var id in ids)
            AssertStored(string.Empty, Stored(router, id));

        await PauseOutboundAsync(router, false);
        await AssertEachRelayedAsync(router, fw, ids.Select(id => (id, "")));
    }
}
