using System.Net;
using System.Net.Sockets;
using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 2: the replies at the SMTP edge, each with its enhanced status code.</summary>
public sealed class SmtpEdgeTests
{
    private static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp = "", string connectors = "") =>
        TestRouter.StartAsync($$"""
            smtp { {{smtp}} }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { {{(connectors.Length > 0 ? connectors : "out { address-spaces = [\"*;1\"], firewalls = [fw-a] }")}} }
            """);

    [Fact]
    public async Task Ehlo_offers_pipelining_size_8bitmime_smtputf8_chunking_and_enhanced_status_codes_and_replies_carry_them()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-message-size = 100000");
        var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        Assert.Equal("220 router.test ESMTP Router", greeting);
        var ehlo = await session.SendAsync("EHLO client.test");
        Assert.Equal(["250-router.test Hello client.test", "250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES", "250-DSN", "250-CHUNKING", "250 SIZE 100000"], ehlo);
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        // STARTTLS is not offered: the library's refusal now carries an enhanced code too.
        Assert.Matches(@"^50[0-3] 5\.5\.[1-4] ", await session.ReplyAsync("STARTTLS"));
        Assert.Equal("221 2.0.0 bye", await session.ReplyAsync("QUIT"));
    }

    [Fact]
    public async Task A_client_outside_the_relay_networks_gets_554_5_7_1_at_rcpt()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "relay.allowed-networks = [\"192.0.2.0/24\"]");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task A_domain_no_address_space_covers_gets_550_5_7_1_at_rcpt()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, connectors: "corp { address-spaces = [\"corp.example;1\"], firewalls = [fw-a] }");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        await session.SendAsync("MAIL FROM:<a@example.org>");
        Assert.Equal("550 5.7.1 No route to domain elsewhere.example", await session.ReplyAsync("RCPT TO:<b@elsewhere.example>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@corp.example>"));
    }

    [Fact]
    public async Task Recipients_past_max_recipients_get_452_4_5_3()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-recipients = 100");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        await session.SendAsync("MAIL FROM:<a@example.org>");
        for (var i = 0; i < 100; i++)
            Assert.StartsWith("250", await session.ReplyAsync($"RCPT TO:<r{i}@example.net>"));
        Assert.Equal("452 4.5.3 Too many recipients (at most 100 per message)", await session.ReplyAsync("RCPT TO:<r100@example.net>"));
    }

    [Fact]
    public async Task Oversized_mail_gets_552_5_3_4_whether_declared_or_sent()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, "max-message-size = 10000");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.StartsWith("552 5.3.4 ", await session.ReplyAsync("MAIL FROM:<a@example.org> SIZE=20000"));

        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        var body = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 70) + "\r\n", 200));
        Assert.StartsWith("552 5.3.4 ", await session.ReplyAsync(body + "."));
        Assert.Equal(0, fw.Count);
    }

    [Theory]
    [InlineData("250 Ok", false, "250 2.0.0 Ok")]
    [InlineData("250 2.1.5 Ok", false, "250 2.1.5 Ok")]
    [InlineData("554 5.7.1 Relay access denied, 4 retry(ies) remaining.", false, "554 5.7.1 Relay access denied")]
    [InlineData("503 expected NOOP/RSET/QUIT/HELO/EHLO/MAIL, 19 retry(ies) remaining.", false, "503 5.5.1 expected NOOP/RSET/QUIT/HELO/EHLO/MAIL")]
    [InlineData("552 message size exceeds fixed maximium message size", false, "552 5.3.4 message size exceeds fixed maximium message size")]
    [InlineData("220 router ESMTP", false, "220 router ESMTP")]
    [InlineData("354 end with <CRLF>.<CRLF>", false, "354 end with <CRLF>.<CRLF>")]
    [InlineData("250-PIPELINING", false, "250-PIPELINING")]
    [InlineData("250 SIZE 100", true, "250 SIZE 100")]
    [InlineData("221 bye", false, "221 2.0.0 bye")]
    public void Library_replies_get_an_enhanced_code_and_lose_the_retry_suffix(string line, bool continuation, string expected) =>
        Assert.Equal(expected, Router.Actors.Ingress.EnhancedReplies.Polish(line, continuation));
}

public sealed class SmtpConnectionLimitTests
{
    [Fact]
    public async Task Clients_past_max_connections_get_421_and_the_others_keep_working()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync($$"""
            smtp { max-connections = 2 }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);
        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(router.Smtp);
        await second.ConnectAsync(router.Smtp);
        var firstReader = new StreamReader(first.GetStream(), Encoding.ASCII);
        var secondReader = new StreamReader(second.GetStream(), Encoding.ASCII);
        Assert.StartsWith("220", await firstReader.ReadLineAsync());
        Assert.StartsWith("220", await secondReader.ReadLineAsync());

        using var third = new TcpClient();
        await third.ConnectAsync(router.Smtp);
        var thirdReader = new StreamReader(third.GetStream(), Encoding.ASCII);
        Assert.Equal("421 4.7.0 Too many connections, try again later", await thirdReader.ReadLineAsync());
        Assert.Null(await thirdReader.ReadLineAsync());

        first.Close();
        await Eventually.TrueAsync(() =>
        {
            using var fourth = new TcpClient();
            fourth.Connect(router.Smtp);
            return new StreamReader(fourth.GetStream(), Encoding.ASCII).ReadLine()?.StartsWith("220", StringComparison.Ordinal) == true;
        }, TimeSpan.FromSeconds(10), "a slot did not free up after a client left");
    }
}

public sealed class RelayTrickTests
{
    /// <summary>
    /// The classic open-relay probes (after the relay tests of the late 1990s: the %-hack, bang
    /// paths, source routes, quoted local parts, double @, address literals), with relay.test as
    /// the router's own name and elsewhere.example as the victim. Only the first two are
    /// legitimate forms: a plain address and one whose domain is an address literal.
    /// </summary>
    public static readonly TheoryData<string, bool> ClassicProbes = new()
    {
        { "victim@elsewhere.example", true },
        { "victim@[192.0.2.25]", true },
        { "victim%elsewhere.example@relay.test", false },
        { "victim%elsewhere.example@[127.0.0.1]", false },
        { "\"victim@elsewhere.example\"", false },
        { "\"victim%elsewhere.example\"", false },
        { "victim@elsewhere.example@relay.test", false },
        { "\"victim@elsewhere.example\"@relay.test", false },
        { "\"victim%elsewhere.example\"@relay.test", false },
        { "@relay.test:victim@elsewhere.example", false },
        { "@[127.0.0.1]:victim@elsewhere.example", false },
        { "elsewhere.example!victim", false },
        { "elsewhere.example!victim@relay.test", false },
        { "elsewhere.example!victim@[127.0.0.1]", false },
        { "victim%elsewhere.example", false },
        { "relay.test!elsewhere.example!victim", false },
    };

    [Theory]
    [MemberData(nameof(ClassicProbes))]
    public async Task Each_classic_relay_probe_from_outside_the_relay_networks_is_refused(string address, bool legitimate)
    {
        _ = legitimate;
        var reply = await ProbeAsync(address, "relay.allowed-networks = [\"192.0.2.0/24\"]");
        Assert.Matches("^5[0-9][0-9] 5\\.[0-9]+\\.[0-9]+ ", reply);
    }

    [Theory]
    [MemberData(nameof(ClassicProbes))]
    public async Task From_inside_the_relay_networks_only_the_legitimate_forms_are_accepted(string address, bool legitimate)
    {
        var reply = await ProbeAsync(address, "");
        if (legitimate)
            Assert.StartsWith("250", reply);
        else
            Assert.Matches("^5[0-9][0-9] 5\\.[0-9]+\\.[0-9]+ ", reply);
    }

    private static async Task<string> ProbeAsync(string address, string smtp)
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync($"smtp {{ hostname = \"relay.test\"\n{smtp} }}\n" + TestRouter.EqualCost(fw));
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        var reply = await session.ReplyAsync($"RCPT TO:<{address}>");
        // Whatever the reply, the session goes on.
        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        return reply;
    }

    [Theory]
    [InlineData("RCPT TO:<victim%elsewhere.example@relay.test>")]
    [InlineData("RCPT TO:<elsewhere.example!victim@relay.test>")]
    [InlineData("RCPT TO:<\"victim@elsewhere.example\"@relay.test>")]
    [InlineData("RCPT TO:<\"victim%elsewhere.example\"@relay.test>")]
    [InlineData("RCPT TO:<@relay.test:victim@elsewhere.example>")]
    public async Task Relay_tricks_are_refused_with_554_5_7_1_even_from_a_trusted_network(string rcpt)
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));
        using var client = new TcpClient();
        await client.ConnectAsync(router.Smtp);
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HELO client.test\r\nMAIL FROM:<a@example.org>\r\n{rcpt}\r\nRCPT TO:<plain@example.net>\r\n"));
        var replies = new List<string>();
        for (var i = 0; i < 4; i++)
            replies.Add(await reader.ReadLineAsync() ?? string.Empty);
        Assert.Equal("554 5.7.1 Relay access denied", replies[2]);
        Assert.StartsWith("250", replies[3]);
    }
}
