using System.Diagnostics;
using System.Text;
using Router.Actors.Ingress;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>The listener's protective limits (README "Limits"), each over real sockets against a running node.</summary>
public sealed class SmtpLimitTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(20);

    internal static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp = "", string extra = "", string? spoolPath = null) =>
        TestRouter.StartAsync($$"""
            smtp { {{smtp}} }
            {{extra}}
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """, spoolPath);

    private static async Task<RawSmtpSession> OpenAsync(TestRouter router)
    {
        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        Assert.StartsWith("220 ", greeting);
        return session;
    }

    /// <summary>EHLO, one sender, one recipient and DATA, each answered as it should be: the session is in DATA.</summary>
    private static async Task StartDataAsync(RawSmtpSession session)
    {
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
    }

    private static async Task AssertClosedAsync(RawSmtpSession session) =>
        Assert.Null(await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

    [Fact]
    public async Task Clients_past_max_connections_per_ip_get_421_4_7_0_and_a_slot_frees_when_one_leaves()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-connections-per-ip = 2");
        var first = await OpenAsync(router);
        using var second = await OpenAsync(router);

        var (third, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (third)
        {
            Assert.Equal("421 4.7.0 Too many connections from your address, try again later", greeting);
            await AssertClosedAsync(third);
        }

        Assert.StartsWith("250", await second.ReplyAsync("NOOP"));
        first.Dispose();
        await Eventually.TrueAsync(async () =>
        {
            var (fourth, hello) = await RawSmtpSession.OpenAsync(router.Smtp);
            fourth.Dispose();
            return hello.StartsWith("220 ", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "the address's slot did not free up after a client left");
    }

    [Fact]
    public async Task A_command_line_past_512_bytes_gets_500_5_5_2_and_the_session_goes_on()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));

        // 512 bytes with CRLF is allowed (whatever the command makes of it), 513 is not.
        var atLimit = "MAIL FROM:<a@example.org> X=" + new string('x', 512 - 2 - 28);
        Assert.Equal(510, atLimit.Length);
        Assert.DoesNotContain("Line too long", await session.ReplyAsync(atLimit));
        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        Assert.Equal("500 5.5.2 Line too long (at most 512 bytes with CRLF)", await session.ReplyAsync(atLimit + "x"));

        // A megabyte with no CRLF, in pieces: discarded as it comes, one reply when the line ends.
        for (var i = 0; i < 16; i++)
            await session.WriteAsync(new string('y', 65536));
        Assert.Equal("500 5.5.2 Line too long (at most 512 bytes with CRLF)", await session.ReplyAsync(""));

        Assert.Equal(0, fw.Count);
        var reply = await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"], "Subject: after\r\n\r\nstill here");
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        await fw.WaitForCountAsync(1, Delivery);
    }

    [Fact]
    public async Task A_text_line_past_1000_bytes_refuses_the_message_with_550_5_6_0_and_nothing_is_stored()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using var session = await OpenAsync(router);

        var tooLong = "Subject: long\r\n\r\n" + new string('z', 999) + "\r\nend";
        Assert.Equal("550 5.6.0 Message refused: a line longer than 1000 bytes with CRLF (RFC 5321 4.5.3.1.6)",
            await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"], tooLong));

        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        var atLimit = "Subject: fits\r\n\r\n" + new string('z', 998) + "\r\nend";
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"], atLimit));

        await fw.WaitForCountAsync(1, Delivery);
        Assert.Contains("Subject: fits", Encoding.ASCII.GetString(Assert.Single(fw.Messages).Data));
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, Delivery, "the spool did not empty");
    }

    [Fact]
    public async Task Ten_thousand_recipients_get_452_past_max_recipients_the_session_survives_and_the_accepted_ones_are_delivered_once()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-recipients = 100, max-errors = 3");
        using var session = await OpenAsync(router);
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));

        // Pipelined, written while the replies are read.
        const int Total = 10_000;
        var writer = Task.Run(async () =>
        {
            var batch = new StringBuilder();
            for (var i = 0; i < Total; i++)
            {
                batch.Append("RCPT TO:<r").Append(i).Append("@example.net>\r\n");
                if (batch.Length > 32_000 || i == Total - 1)
                {
                    await session.WriteAsync(batch.ToString());
                    batch.Clear();
                }
            }
        });
        var accepted = 0;
        var refused = 0;
        for (var i = 0; i < Total; i++)
        {
            var line = await session.ReadLineAsync() ?? throw new IOException($"closed after {i} replies");
            if (line.StartsWith("250 ", StringComparison.Ordinal))
                accepted++;
            else if (line == "452 4.5.3 Too many recipients (at most 100 per message)")
                refused++;
            else
                Assert.Fail($"reply {i}: {line}");
        }
        await writer;
        Assert.Equal((100, Total - 100), (accepted, refused));

        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: many\r\n\r\nhello\r\n."));
        Assert.StartsWith("221", await session.ReplyAsync("QUIT"));

        await Eventually.TrueAsync(() => fw.Messages.Sum(m => m.Recipients.Count) >= 100, Delivery, "the 100 recipients were not delivered");
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, Delivery, "the message stayed queued");
        var delivered = fw.Messages.SelectMany(m => m.Recipients).ToList();
        Assert.Equal(100, delivered.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"r{i}@example.net").Order(), delivered.Order());
    }

    [Fact]
    public async Task A_command_trickled_a_byte_at_a_time_is_cut_at_command_timeout_with_421_4_4_2()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "command-timeout = 2s");
        using var session = await OpenAsync(router);
        var clock = Stopwatch.StartNew();
        // 120 bytes 400 ms apart: the line would take 48 s to complete, so a 421 before then is the command
        // timeout's cut, however long a loaded machine takes to deliver it (a full suite once stalled the process 7 s).
        var line = "EHLO " + new string('s', 113) + "\r\n";
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                foreach (var c in line)
                {
                    await session.WriteAsync(c.ToString());
                    await Task.Delay(400, stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        });
        Assert.Equal(LimitReplies.CommandTimeout, await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(40)));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), $"cut after {clock.Elapsed}, before the 2 s command timeout");
        await stop.CancelAsync();
        await AssertClosedAsync(session);
        await trickle;
    }

    [Fact]
    public async Task Data_trickled_a_byte_at_a_time_is_cut_at_data_total_timeout_with_421_4_4_2_and_nothing_is_stored()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        // The silence limit as long as the total (the shortest the configuration allows), ten times the gap between
        // bytes: only the total limit cuts a trickle that keeps going, and a loaded machine has 3 s of slack.
        await using var router = await StartAsync(fw, "data-timeout = 3s, data-total-timeout = 3s");
        using var session = await OpenAsync(router);
        await StartDataAsync(session);

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                // Each byte well within data-timeout of the last: only the whole-DATA limit can cut it.
                while (!stop.IsCancellationRequested)
                {
                    await session.WriteAsync("x");
                    await Task.Delay(300, stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        });
        // Without the total limit the trickle would never be cut: any reply proves it, and not before the limit.
        Assert.Equal(LimitReplies.DataTimeout, await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(40)));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"cut after {clock.Elapsed}, before the 3 s limit");
        await AssertClosedAsync(session);
        await stop.CancelAsync();
        await trickle;
        await AssertNothingStoredThenAGoodMessageIsAsync(router, fw);
    }

    [Fact]
    public async Task Silence_in_data_past_data_timeout_gets_421_4_4_2()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "data-timeout = 1s, data-total-timeout = 1m");
        using var session = await OpenAsync(router);
        await StartDataAsync(session);
        await session.WriteAsync("Subject: half\r\n\r\nhalf a mess");
        var clock = Stopwatch.StartNew();
        // The 1 s silence limit, not the 1 min total: anything well under a minute tells them apart
        // (a full parallel suite on two cores once took 7.7 s to deliver the reply).
        Assert.Equal(LimitReplies.DataTimeout, await session.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(40)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(30));
        await AssertClosedAsync(session);
        await AssertNothingStoredThenAGoodMessageIsAsync(router, fw);
    }

    [Fact]
    public async Task A_client_that_disconnects_in_the_middle_of_data_has_nothing_stored_or_delivered()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        using (var session = await OpenAsync(router))
        {
            await StartDataAsync(session);
            await session.WriteAsync("Subject: cut\r\n\r\n" + string.Concat(Enumerable.Repeat("some text of a message cut short\r\n", 2000)));
        }
        await AssertNothingStoredThenAGoodMessageIsAsync(router, fw);
    }

    [Fact]
    public async Task A_session_past_max_errors_gets_421_4_7_0_and_is_closed()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-errors = 3");
        using var session = await OpenAsync(router);
        Assert.StartsWith("5", await session.ReplyAsync("FROB 1"));
        Assert.StartsWith("250", await session.ReplyAsync("NOOP"));
        Assert.StartsWith("5", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("5", await session.ReplyAsync("FROB 3"));
        Assert.Equal("421 4.7.0 Too many errors, closing connection", await session.ReadLineAsync());
        await AssertClosedAsync(session);
    }

    [Fact]
    public async Task Rcpt_to_postmaster_without_a_domain_is_accepted_and_goes_to_the_configured_postmaster()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "postmaster = \"abuse-desk@corp.example\"");
        using var session = await OpenAsync(router);
        Assert.StartsWith("250 2.0.0 Ok: queued as ",
            await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<PostMaster>"], "Subject: to the postmaster\r\n\r\nhi"));
        await fw.WaitForCountAsync(1, Delivery);
        Assert.Equal(["abuse-desk@corp.example"], Assert.Single(fw.Messages).Recipients);
    }

    [Fact]
    public async Task The_greeting_and_helo_replies_do_not_name_the_smtp_library_or_its_version()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw);
        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        var replies = new List<string> { greeting };
        replies.AddRange(await session.SendAsync("HELO client.test"));
        replies.AddRange(await session.SendAsync("EHLO client.test"));
        replies.Add(await session.ReplyAsync("QUIT"));
        Assert.Equal("220 router.test ESMTP Router", greeting);
        Assert.Equal("250 2.0.0 router.test Hello client.test", replies[1]);
        foreach (var reply in replies)
        {
            Assert.DoesNotContain("SmtpServer", reply, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotMatch(@"v\d+\.\d+", reply);
            Assert.DoesNotContain("met before", reply);
        }
    }

    [Fact]
    public async Task Past_max_inflight_bytes_new_data_gets_452_4_3_1_and_a_session_that_overdraws_is_cut_with_421_4_3_2()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-message-size = 300000, max-inflight-bytes = 400000");

        // A holds 260 kB of an unfinished message.
        using var a = await OpenAsync(router);
        await StartDataAsync(a);
        var body = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('a', 98) + "\r\n", 2600));
        await a.WriteAsync(body);

        // B declares 150 kB: it does not fit beside A's buffered data.
        using var b = await OpenAsync(router);
        Assert.StartsWith("250", await b.ReplyAsync("EHLO b.test"));
        await Eventually.TrueAsync(async () =>
        {
            var reply = await b.ReplyAsync("MAIL FROM:<b@example.org> SIZE=150000");
            if (reply.StartsWith("250", StringComparison.Ordinal))
                await b.ReplyAsync("RSET");
            return reply == "452 4.3.1 Too much mail in flight, try again later";
        }, TimeSpan.FromSeconds(10), "a declared size past the in-flight budget was not refused");

        // C declares nothing, gets its DATA (the budget is not yet spent) and overdraws it.
        using var c = await OpenAsync(router);
        Assert.StartsWith("250", await c.ReplyAsync("EHLO c.test"));
        Assert.StartsWith("250", await c.ReplyAsync("MAIL FROM:<c@example.org>"));
        Assert.StartsWith("250", await c.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await c.ReplyAsync("DATA"));
        try
        {
            await c.WriteAsync("Subject: c\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('c', 98) + "\r\n", 1500)));
        }
        catch (IOException)
        {
        }
        Assert.Equal(LimitReplies.InflightOverflow, await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        await AssertClosedAsync(c);

        // A finishes and is stored; with the budget back, B's declared size fits.
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await a.ReplyAsync("."));
        Assert.StartsWith("250", await b.ReplyAsync("MAIL FROM:<b@example.org> SIZE=150000"));
        Assert.StartsWith("250", await b.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await b.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await b.ReplyAsync("Subject: b\r\n\r\nsmall\r\n."));
        await fw.WaitForCountAsync(2, Delivery);
        Assert.DoesNotContain(fw.Messages, m => m.MailFrom == "c@example.org");
    }

    /// <summary>
    /// The session before was cut: nothing of it may reach the spool or the firewall. A good
    /// message sent afterwards is the only one delivered, and the spool empties behind it.
    /// </summary>
    internal static async Task AssertNothingStoredThenAGoodMessageIsAsync(TestRouter router, FakeFirewall fw)
    {
        var before = fw.Count;
        using var session = await OpenAsync(router);
        var reply = await session.TransactionAsync("MAIL FROM:<good@example.org>", ["RCPT TO:<b@example.net>"], "Subject: good\r\n\r\nafter the cut");
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        await fw.WaitForCountAsync(before + 1, Delivery);
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, Delivery, "the spool did not empty");
        Assert.Equal("good@example.org", fw.Messages[^1].MailFrom);
        Assert.Equal(before + 1, fw.Count);
    }
}
