using System.Diagnostics;
using System.Text;
using Router.Actors.Ingress;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23: CHUNKING/BDAT (RFC 3030) at the edge, taken in front of the SMTP library (which knows only DATA) by the
/// session's guarded reader; real sockets, a real router, a FakeFirewall. BINARYMIME stays unoffered.
/// </summary>
public sealed class ChunkingTests
{
    private static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp = "", string? certificate = null) =>
        TestRouter.StartAsync($$"""
            smtp {
              {{smtp}}
              {{certificate}}
            }
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

    private static async Task BeginAsync(RawSmtpSession session, string sender = "a@example.org")
    {
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync($"MAIL FROM:<{sender}>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    private static byte[] Bdat(string chunk, bool last = false) =>
        Encoding.ASCII.GetBytes($"BDAT {Encoding.ASCII.GetByteCount(chunk)}{(last ? " LAST" : "")}\r\n{chunk}");

    private static async Task<List<string>> ReadLinesAsync(RawSmtpSession session, int count)
    {
        var lines = new List<string>();
        try
        {
            for (var i = 0; i < count; i++)
                lines.Add(await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? "(closed)");
        }
        catch (TimeoutException)
        {
            // The assertion on the lines says what came and what did not.
            lines.Add("(no reply within 30 s)");
        }
        return lines;
    }

    private static string QueueIdOf(string reply)
    {
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        return reply.Split(' ').Last();
    }

    /// <summary>The message was delivered, has left the spool, and the firewall got it exactly once.</summary>
    private static async Task<ReceivedMessage> DeliveredOnceAsync(TestRouter router, FakeFirewall fw, string queueId, string marker)
    {
        await Eventually.TrueAsync(() => fw.Messages.Any(m => Encoding.ASCII.GetString(m.Data).Contains(marker, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"{queueId} ({marker}) not delivered");
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(30), $"{queueId} still in the spool");
        return Assert.Single(fw.Messages, m => Encoding.ASCII.GetString(m.Data).Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chunking_is_offered_binarymime_is_not_and_one_bdat_last_is_delivered_byte_for_byte()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, certificate: certificate.PemSettings());
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        var plain = await session.SendAsync("EHLO client.test");
        Assert.Contains("250-CHUNKING", plain);
        Assert.DoesNotContain(plain, line => line[4..].StartsWith("BINARYMIME", StringComparison.Ordinal));
        await session.StartTlsAsync();
        var secure = await session.SendAsync("EHLO client.test");
        Assert.Contains("250-CHUNKING", secure);
        Assert.DoesNotContain(secure, line => line[4..].StartsWith("BINARYMIME", StringComparison.Ordinal));
        Assert.Equal("555 5.5.4 BODY=BINARYMIME is not supported here", await session.ReplyAsync("MAIL FROM:<a@example.org> BODY=BINARYMIME"));

        await BeginAsync(session);
        var message = "Subject: one chunk\r\nMessage-ID: <one-chunk@example.org>\r\n\r\nbody of one-chunk\r\n";
        await session.WriteAsync(Bdat(message, last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));

        var delivered = await DeliveredOnceAsync(router, fw, queueId, "one-chunk");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(message), delivered.Data);
        Assert.Equal("a@example.org", delivered.MailFrom);
        Assert.Equal(["b@example.net"], delivered.Recipients);
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("NOOP"));
    }

    [Fact]
    public async Task Trailing_empty_lines_of_a_chunked_message_arrive_unchanged()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        // The CRLF before the library's end marker is one the router adds: the chunks' own last CRLF and the empty
        // lines before it are content (they were lost before, as with DATA).
        var message = "Subject: trailing\r\nMessage-ID: <trailing@example.org>\r\n\r\nbody of trailing\r\n\r\n\r\n";
        await BeginAsync(session);
        await session.WriteAsync([.. Bdat(message[..40]), .. Bdat(message[40..], last: true)]);
        var queueId = QueueIdOf((await ReadLinesAsync(session, 2))[1]);

        var delivered = await DeliveredOnceAsync(router, fw, queueId, "body of trailing");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(message), delivered.Data);
    }

    [Fact]
    public async Task Pipelined_chunks_in_one_write_with_dot_lines_split_anywhere_arrive_unchanged_and_the_next_command_is_not_lost()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        // Lines that start with dots, one of them the lone "." that would end DATA, with chunk boundaries
        // between CR and LF, between CRLF and the dot, and inside a line.
        var first = "Subject: pipelined\r\nMessage-ID: <pipelined@example.org>\r\n\r\n.a dot line\r";
        var second = "\n.\r\n..two dots\r\n";
        var third = ".\r\nbody of pipelined, half a li";
        var fourth = "ne\r\n.last\r\n";
        // A second transaction in the same write: a message whose very first line starts with a dot.
        var other = ".first line starts with a dot\r\nSubject: other\r\n\r\nbody of other-pipelined\r\n";
        var write = new MemoryStream();
        write.Write(Encoding.ASCII.GetBytes("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"));
        write.Write(Bdat(first));
        write.Write(Bdat(second));
        write.Write(Bdat(third));
        write.Write(Bdat(fourth));
        write.Write(Bdat(string.Empty, last: true));
        write.Write(Encoding.ASCII.GetBytes("MAIL FROM:<c@example.org>\r\nRCPT TO:<b@example.net>\r\n"));
        write.Write(Bdat(other, last: true));
        write.Write(Encoding.ASCII.GetBytes("NOOP\r\n"));
        await session.WriteAsync(write.ToArray());

        var replies = await ReadLinesAsync(session, 11);
        Assert.Equal(["250 2.0.0 Ok", "250 2.0.0 Ok",
            $"250 2.0.0 {first.Length} octets received", $"250 2.0.0 {second.Length} octets received",
            $"250 2.0.0 {third.Length} octets received", $"250 2.0.0 {fourth.Length} octets received"], replies[..6]);
        var queueId = QueueIdOf(replies[6]);
        Assert.Equal(["250 2.0.0 Ok", "250 2.0.0 Ok"], replies[7..9]);
        var otherId = QueueIdOf(replies[9]);
        Assert.Equal("250 2.0.0 Ok", replies[10]);
        Assert.NotEqual(queueId, otherId);

        var delivered = await DeliveredOnceAsync(router, fw, queueId, "body of pipelined");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(first + second + third + fourth), delivered.Data);
        var second2 = await DeliveredOnceAsync(router, fw, otherId, "body of other-pipelined");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(other), second2.Data);
        Assert.Equal("c@example.org", second2.MailFrom);
    }

    [Fact]
    public async Task A_last_chunk_without_a_final_crlf_gets_one_and_8bit_octets_pass_unchanged()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        await BeginAsync(session);

        // 8-bit text without BODY=8BITMIME is taken as DATA takes it (and goes only to a firewall offering 8BITMIME).
        var message = Encoding.Latin1.GetBytes("Subject: no final crlf\r\n\r\nbody of no-final-crlf: caf\u00e9");
        await session.WriteAsync([.. Encoding.ASCII.GetBytes($"BDAT {message.Length} LAST\r\n"), .. message]);
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));

        var delivered = await DeliveredOnceAsync(router, fw, queueId, "no-final-crlf");
        RelayTests.AssertRelayedUnchanged([.. message, (byte)'\r', (byte)'\n'], delivered.Data);
    }

    [Fact]
    public async Task Bdat_out_of_sequence_or_malformed_is_refused_its_octets_are_dropped_and_data_after_bdat_gets_503()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        // The chunk's octets are read and dropped, never taken for commands (the QUIT in them does not run).
        await session.WriteAsync(Bdat("QUIT\r\n"));
        Assert.Equal(ChunkingReplies.NoTransaction, Assert.Single(await ReadLinesAsync(session, 1)));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        await session.WriteAsync(Bdat("QUIT\r\n", last: true));
        Assert.Equal(ChunkingReplies.NoTransaction, Assert.Single(await ReadLinesAsync(session, 1)));
        Assert.Equal("501 5.5.4 Syntax: BDAT <chunk-size> [LAST]", await session.ReplyAsync("BDAT x"));
        Assert.Equal("501 5.5.4 Syntax: BDAT <chunk-size> [LAST]", await session.ReplyAsync("BDAT 5 FIRST"));
        Assert.Equal("501 5.5.4 Syntax: BDAT <chunk-size> [LAST]", await session.ReplyAsync("BDAT"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));

        await session.WriteAsync(Bdat("Subject: mixed\r\n\r\n"));
        Assert.Equal("250 2.0.0 18 octets received", Assert.Single(await ReadLinesAsync(session, 1)));
        Assert.Equal(ChunkingReplies.Mixed, await session.ReplyAsync("DATA"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RSET"));

        // DATA then BDAT in one transaction: the BDAT is refused (here DATA itself was refused for want of a recipient).
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("501 5.5.2 expected ", await session.ReplyAsync("DATA"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        await session.WriteAsync(Bdat("x", last: true));
        Assert.Equal(ChunkingReplies.Mixed, Assert.Single(await ReadLinesAsync(session, 1)));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RSET"));

        // The session is still good for a whole message, which is the only one delivered.
        await BeginAsync(session);
        await session.WriteAsync(Bdat("Subject: after\r\n\r\nbody of after-refusals\r\n", last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));
        await DeliveredOnceAsync(router, fw, queueId, "after-refusals");
        Assert.Equal(1, fw.Count);
    }

    [Fact]
    public async Task Rset_between_chunks_discards_them()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        await BeginAsync(session);
        await session.WriteAsync(Bdat("Subject: dropped\r\n\r\nbody of dropped-chunk\r\n"));
        Assert.StartsWith("250 2.0.0 ", Assert.Single(await ReadLinesAsync(session, 1)));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RSET"));
        // After RSET a chunk has no transaction.
        await session.WriteAsync(Bdat("more", last: true));
        Assert.Equal(ChunkingReplies.NoTransaction, Assert.Single(await ReadLinesAsync(session, 1)));

        await BeginAsync(session);
        var message = "Subject: kept\r\n\r\nbody of kept-chunk\r\n";
        await session.WriteAsync(Bdat(message, last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));
        var delivered = await DeliveredOnceAsync(router, fw, queueId, "kept-chunk");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(message), delivered.Data);
        Assert.Equal(1, fw.Count);
    }

    [Fact]
    public async Task Chunks_past_the_message_size_get_552_5_3_4_the_transaction_is_reset_and_the_session_goes_on()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-message-size = 1000");
        using var session = await OpenAsync(router);
        await BeginAsync(session);

        var filler = new string('x', 598) + "\r\n";
        var write = new MemoryStream();
        write.Write(Bdat(filler));
        write.Write(Bdat(filler));
        // Pipelined after the refused chunk: no transaction any more.
        write.Write(Bdat("Subject: too big\r\n\r\nbody of too-big\r\n", last: true));
        await session.WriteAsync(write.ToArray());
        Assert.Equal(["250 2.0.0 600 octets received", "552 5.3.4 Message size exceeds fixed maximum message size (1000 bytes)", ChunkingReplies.NoTransaction],
            await ReadLinesAsync(session, 3));

        // The library's transaction was reset too: a new MAIL is taken at once, without RSET.
        await BeginAsync(session);
        var message = "Subject: fits\r\n\r\nbody of fits-after-552\r\n";
        await session.WriteAsync(Bdat(message, last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));
        await DeliveredOnceAsync(router, fw, queueId, "fits-after-552");
        Assert.Equal(1, fw.Count);
    }

    [Fact]
    public async Task A_client_silent_in_the_middle_of_a_chunk_gets_421_4_4_2_and_nothing_is_stored()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "data-timeout = 1s, data-total-timeout = 1m");
        using var session = await OpenAsync(router);
        await BeginAsync(session);
        await session.WriteAsync(Encoding.ASCII.GetBytes("BDAT 100 LAST\r\nSubject: stalled\r\n\r\nhalf a chu"));
        var clock = Stopwatch.StartNew();

        // The 1 s silence limit, not the 1 min total.
        Assert.Equal(LimitReplies.DataTimeout, await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(40)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(30));
        Assert.Null(await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, router.Node.Spool.Statistics.MessagesQueued);

        // The node takes the next message; it is the only one delivered.
        using var next = await OpenAsync(router);
        await BeginAsync(next);
        await next.WriteAsync(Bdat("Subject: next\r\n\r\nbody of after-stall\r\n", last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(next, 1)));
        await DeliveredOnceAsync(router, fw, queueId, "after-stall");
        Assert.Equal(1, fw.Count);
    }

    [Fact]
    public async Task A_bare_lf_in_chunks_is_refused_with_550_5_6_0_as_in_data()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        await BeginAsync(session);
        await session.WriteAsync(Bdat("Subject: smuggled\r\n\r\nfirst\n.\nMAIL FROM:<x@example.org>\r\n", last: true));
        Assert.Equal("550 5.6.0 Message refused: bare LF in the data; lines must end with CRLF", Assert.Single(await ReadLinesAsync(session, 1)));
        // The transaction ended with the refusal, as after DATA.
        Assert.StartsWith("501 5.5.2 expected ", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.Equal(0, router.Node.Spool.Statistics.MessagesQueued);
    }

    [Fact]
    public async Task After_a_refused_data_the_next_commands_parameters_are_still_checked()
    {
        // The line observer once took every line after a DATA line for message data until a CRLF.CRLF, even when the
        // DATA was refused (here for want of a recipient; a handed DATA the library refused would be the same).
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        Assert.StartsWith("50", await session.ReplyAsync("DATA"));
        Assert.Equal("555 5.5.4 Parameter FOO is not supported here", await session.ReplyAsync("MAIL FROM:<a@example.org> FOO=BAR"));
    }

    [Fact]
    public async Task Chunks_held_between_bdat_commands_count_against_max_inflight_bytes_as_data_does()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-message-size = 400000, max-inflight-bytes = 400000");

        // A holds 260 kB of chunks of an unfinished message (charged before the 250 that answers them).
        using var a = await OpenAsync(router);
        await BeginAsync(a);
        var body = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('a', 98) + "\r\n", 2600));
        await a.WriteAsync(Bdat(body));
        Assert.Equal($"250 2.0.0 {body.Length} octets received", Assert.Single(await ReadLinesAsync(a, 1)));

        // B declares 150 kB: it does not fit beside A's chunks.
        using var b = await OpenAsync(router);
        Assert.Equal("452 4.3.1 Too much mail in flight, try again later", await b.ReplyAsync("MAIL FROM:<b@example.org> SIZE=150000"));

        // D declares 100 kB, which fits beside A's 260 kB at MAIL; then A holds 100 kB more, and D's first chunk is refused as
        // DATA would be (452 4.3.1), its transaction reset: its octets were read and dropped, and a new MAIL is taken.
        using var d = await OpenAsync(router);
        Assert.Equal("250 2.0.0 Ok", await d.ReplyAsync("MAIL FROM:<d@example.org> SIZE=100000"));
        Assert.Equal("250 2.0.0 Ok", await d.ReplyAsync("RCPT TO:<b@example.net>"));
        var more = string.Concat(Enumerable.Repeat(new string('m', 98) + "\r\n", 1000));
        await a.WriteAsync(Bdat(more));
        Assert.Equal($"250 2.0.0 {more.Length} octets received", Assert.Single(await ReadLinesAsync(a, 1)));
        await d.WriteAsync(Bdat("Subject: d\r\n\r\nbody of d\r\n", last: true));
        Assert.Equal("452 4.3.1 Too much mail in flight, try again later", Assert.Single(await ReadLinesAsync(d, 1)));
        Assert.Equal("250 2.0.0 Ok", await d.ReplyAsync("MAIL FROM:<d@example.org>"));
        body += more;

        // C declares nothing, may start (the budget is not yet spent) and overdraws it with its chunk.
        using var c = await OpenAsync(router);
        await BeginAsync(c, "c@example.org");
        try
        {
            await c.WriteAsync(Bdat("Subject: c\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('c', 98) + "\r\n", 1500))));
        }
        catch (IOException)
        {
        }
        Assert.Equal(LimitReplies.InflightOverflow, await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        // A ends its message and it is stored; with the budget back, B's declared size fits.
        await a.WriteAsync(Bdat(string.Empty, last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(a, 1)));
        Assert.Equal("250 2.0.0 Ok", await b.ReplyAsync("MAIL FROM:<b@example.org> SIZE=150000"));
        var delivered = await DeliveredOnceAsync(router, fw, queueId, "Subject: big");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(body), delivered.Data);
        Assert.DoesNotContain(fw.Messages, m => m.MailFrom == "c@example.org");
    }

    [Fact]
    public async Task A_message_in_many_chunks_may_take_longer_than_the_librarys_wait_for_one_command()
    {
        // SmtpServer gives up on a command after its CommandWaitTimeout (here command-timeout + 30 s = 33 s). Each chunk
        // is answered through a command handed to the library, so its wait starts afresh at every chunk; were the
        // chunks read inside one of its waits, this 36 s message would be cut with 421.
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "command-timeout = 3s");
        using var session = await OpenAsync(router);
        await BeginAsync(session);
        var clock = Stopwatch.StartNew();
        var sent = new StringBuilder("Subject: slow\r\n\r\n");
        await session.WriteAsync(Bdat("Subject: slow\r\n\r\n"));
        Assert.StartsWith("250 2.0.0 ", Assert.Single(await ReadLinesAsync(session, 1)));
        for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(36); i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var line = $"line {i} of slow-chunks\r\n";
            sent.Append(line);
            await session.WriteAsync(Bdat(line));
            Assert.Equal($"250 2.0.0 {line.Length} octets received", Assert.Single(await ReadLinesAsync(session, 1)));
        }
        await session.WriteAsync(Bdat(string.Empty, last: true));
        var queueId = QueueIdOf(Assert.Single(await ReadLinesAsync(session, 1)));
        var delivered = await DeliveredOnceAsync(router, fw, queueId, "slow-chunks");
        RelayTests.AssertRelayedUnchanged(Encoding.ASCII.GetBytes(sent.ToString()), delivered.Data);
    }
}
