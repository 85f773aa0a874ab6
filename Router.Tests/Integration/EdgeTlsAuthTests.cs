using System.Security.Authentication;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Router.Actors.Ingress.Auth;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>Issue 7: STARTTLS and SMTP AUTH on the SMTP listener, over real sockets.</summary>
public sealed class EdgeTlsAuthTests
{
    private const string AlicePassword = "correct horse battery staple";

    // The cheapest hash the configuration accepts: these tests check behaviour, not cost.
    private static readonly string AliceHash = PasswordHash.Create(AlicePassword, PasswordHash.MinIterations).ToString();

    private static string Users => $"auth.users {{ alice = \"{AliceHash}\" }}";

    // The client connects from 127.0.0.1; with these networks it is outside them.
    private const string Outside = "relay.allowed-networks = [\"192.0.2.0/24\"]";

    private static Task<TestRouter> StartAsync(FakeFirewall fw, string smtp) =>
        TestRouter.StartAsync($$"""
            smtp {
              {{smtp}}
            }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);

    /// <summary>A session that has said EHLO, completed STARTTLS and said EHLO again.</summary>
    private static async Task<RawSmtpSession> OpenOverTlsAsync(TestRouter router)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        await session.SendAsync("EHLO client.test");
        await session.StartTlsAsync();
        await session.SendAsync("EHLO client.test");
        return session;
    }

    private static string Plain(string user, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static TestMail.ExactBytesClient TlsClient(TestCertificate certificate, SslProtocols protocols = SslProtocols.None) => new()
    {
        SslProtocols = protocols,
        // Trust exactly the test's self-signed certificate.
        ServerCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.Thumbprint,
    };

    private static Task<string> SendAsync(SmtpClient client, byte[] data) =>
        client.SendAsync(TestMail.Format, TestMail.Load(data), MailboxAddress.Parse("sender@example.org"), [MailboxAddress.Parse("user@example.net")]);

    [Theory]
    [InlineData(SslProtocols.Tls12, false)]
    [InlineData(SslProtocols.Tls13, false)]
    [InlineData(SslProtocols.Tls12, true)]
    [InlineData(SslProtocols.Tls13, true)]
    public async Task Starttls_negotiates_tls_1_2_and_1_3_with_a_pem_or_pfx_certificate_and_the_mail_arrives(SslProtocols protocol, bool pfx)
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, pfx ? certificate.PfxSettings() : certificate.PemSettings());
        using var client = TlsClient(certificate, protocol);

        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.Equal(protocol, client.SslProtocol);
        var data = TestMail.Build($"tls-{protocol}-{pfx}");
        Assert.StartsWith("2.0.0 Ok: queued as ", await SendAsync(client, data));
        await client.DisconnectAsync(true);

        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        var received = Encoding.UTF8.GetString(fw.Messages.Single().Data);
        Assert.Contains("with ESMTPS id ", received, StringComparison.Ordinal);
        Assert.Contains($"Message-ID: <{TestMail.IdOf(data)}@test.example>", received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starttls_is_advertised_only_with_a_certificate_and_only_before_tls()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using (var plain = await StartAsync(fw, string.Empty))
        {
            var (session, _) = await RawSmtpSession.OpenAsync(plain.Smtp);
            using var _ = session;
            Assert.DoesNotContain(await session.SendAsync("EHLO client.test"), line => line.Contains("STARTTLS", StringComparison.Ordinal));
            Assert.Matches(@"^50[0-3] 5\.5\.[1-4] ", await session.ReplyAsync("STARTTLS"));
        }

        await using var router = await StartAsync(fw, certificate.PemSettings());
        var (tls, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var __ = tls;
        Assert.Contains(await tls.SendAsync("EHLO client.test"), line => line[4..] == "STARTTLS");
        var (presented, _) = await tls.StartTlsAsync();
        Assert.Equal(certificate.Thumbprint, presented?.GetCertHashString());
        var ehlo = await tls.SendAsync("EHLO client.test");
        Assert.DoesNotContain(ehlo, line => line.Contains("STARTTLS", StringComparison.Ordinal));
        Assert.Matches(@"^50[0-3] 5\.5\.[1-4] ", await tls.ReplyAsync("STARTTLS"));
    }

    [Fact]
    public async Task Commands_pipelined_in_clear_text_behind_starttls_are_not_executed_after_the_handshake()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, certificate.PemSettings());
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");

        await session.StartTlsAsync(command: "STARTTLS\r\nMAIL FROM:<injected@example.org>");
        await session.SendAsync("EHLO client.test");
        // Had the injected MAIL run inside TLS, this RCPT would be accepted.
        Assert.Matches(@"^50[0-3] 5\.5\.[1-4] expected .*MAIL", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
    }

    [Fact]
    public async Task A_client_that_stalls_the_tls_handshake_is_disconnected_after_handshake_timeout()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        // The command timeout (5m) and session timeout (30m) would hold the connection far longer.
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\ntls.handshake-timeout = 500ms");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");

        Assert.StartsWith("220", await session.ReplyAsync("STARTTLS"));
        var closed = session.ReadLineAsync();
        Assert.Null(await closed.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task With_tls_required_mail_before_starttls_gets_530_5_7_0_and_after_it_is_accepted()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, certificate.PemSettings(required: true));
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO client.test");
        Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await session.ReplyAsync("MAIL FROM:<a@example.org>"));

        await session.StartTlsAsync();
        await session.SendAsync("EHLO client.test");
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task Auth_is_not_offered_before_starttls_and_good_credentials_there_get_538_5_7_11_and_no_relaying()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}\n{Outside}");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        Assert.DoesNotContain(await session.SendAsync("EHLO client.test"), line => line.Contains("AUTH", StringComparison.Ordinal));
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism",
            await session.ReplyAsync($"AUTH PLAIN {Plain("alice", AlicePassword)}"));
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism", await session.ReplyAsync("AUTH LOGIN"));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<b@example.net>"));

        await session.ReplyAsync("RSET");
        await session.StartTlsAsync();
        Assert.Contains(await session.SendAsync("EHLO client.test"), line => line[4..] == "AUTH PLAIN LOGIN");
    }

    [Fact]
    public async Task Good_credentials_after_starttls_let_a_client_outside_the_relay_networks_relay()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}\n{Outside}");
        using var client = TlsClient(certificate);

        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, SecureSocketOptions.StartTls);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        Assert.Contains("LOGIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync("alice", AlicePassword);
        Assert.StartsWith("2.0.0 Ok: queued as ", await SendAsync(client, TestMail.Build("authenticated")));
        await client.DisconnectAsync(true);

        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        Assert.Contains("with ESMTPSA id ", Encoding.UTF8.GetString(fw.Messages.Single().Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auth_login_with_good_credentials_is_accepted_with_235_2_7_0()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}\n{Outside}");
        using var session = await OpenOverTlsAsync(router);

        Assert.Equal("334 VXNlcm5hbWU6", await session.ReplyAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await session.ReplyAsync(Base64("alice")));
        Assert.StartsWith("235 2.7.0 ", await session.ReplyAsync(Base64(AlicePassword)));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task A_wrong_password_or_an_unknown_user_gets_535_5_7_8_and_no_relaying()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}\n{Outside}\nauth.max-failures = 5");
        using var session = await OpenOverTlsAsync(router);

        Assert.Equal("535 5.7.8 Authentication credentials invalid", await session.ReplyAsync($"AUTH PLAIN {Plain("alice", "wrong")}"));
        Assert.Equal("535 5.7.8 Authentication credentials invalid", await session.ReplyAsync($"AUTH PLAIN {Plain("mallory", AlicePassword)}"));
        Assert.Equal("334 VXNlcm5hbWU6", await session.ReplyAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await session.ReplyAsync(Base64("ALICE")));
        Assert.Equal("535 5.7.8 Authentication credentials invalid", await session.ReplyAsync(Base64(AlicePassword)));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task Without_users_auth_is_not_offered_and_any_attempt_is_refused()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, certificate.PemSettings());
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        await session.StartTlsAsync();

        Assert.DoesNotContain(await session.SendAsync("EHLO client.test"), line => line.Contains("AUTH", StringComparison.Ordinal));
        Assert.Equal("502 5.5.1 Authentication not available", await session.ReplyAsync($"AUTH PLAIN {Plain("anyone", "anything")}"));
        Assert.Equal("502 5.5.1 Authentication not available", await session.ReplyAsync("AUTH LOGIN"));
    }

    [Fact]
    public async Task The_last_allowed_failure_of_a_session_gets_421_4_7_0_and_the_connection_is_closed()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}\nauth.max-failures = 2");
        using var session = await OpenOverTlsAsync(router);

        Assert.Equal("535 5.7.8 Authentication credentials invalid", await session.ReplyAsync($"AUTH PLAIN {Plain("alice", "guess-1")}"));
        Assert.Equal("421 4.7.0 Too many failed authentication attempts, closing connection",
            await session.ReplyAsync($"AUTH PLAIN {Plain("alice", "guess-2")}"));
        Assert.Null(await session.ReadLineAsync());
    }

    [Fact]
    public async Task A_client_address_past_max_failures_per_client_gets_454_4_7_0_even_with_good_credentials()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw,
            $"{certificate.PemSettings()}\n{Users}\nauth {{ max-failures = 10, max-failures-per-client = 3, failure-window = 10m }}");
        var (first, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (first)
        {
            await first.SendAsync("EHLO client.test");
            await first.StartTlsAsync();
            await first.SendAsync("EHLO client.test");
            for (var i = 0; i < 3; i++)
                Assert.Equal("535 5.7.8 Authentication credentials invalid", await first.ReplyAsync($"AUTH PLAIN {Plain("alice", $"guess-{i}")}"));
            Assert.Equal("454 4.7.0 Too many failed authentication attempts from your address, try again later",
                await first.ReplyAsync($"AUTH PLAIN {Plain("alice", AlicePassword)}"));
        }

        var (second, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = second;
        await second.SendAsync("EHLO client.test");
        await second.StartTlsAsync();
        await second.SendAsync("EHLO client.test");
        Assert.Equal("454 4.7.0 Too many failed authentication attempts from your address, try again later",
            await second.ReplyAsync($"AUTH PLAIN {Plain("alice", AlicePassword)}"));
        Assert.Equal("454 4.7.0 Too many failed authentication attempts from your address, try again later", await second.ReplyAsync("AUTH LOGIN"));
    }

    [Fact]
    public async Task With_allow_insecure_auth_is_offered_and_accepted_without_tls()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{Users}\n{Outside}\nauth.allow-insecure = on");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        Assert.Contains(await session.SendAsync("EHLO client.test"), line => line[4..] == "AUTH PLAIN LOGIN");
        Assert.StartsWith("235 2.7.0 ", await session.ReplyAsync($"AUTH PLAIN {Plain("alice", AlicePassword)}"));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: insecure\r\n\r\nbody\r\n."));

        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        Assert.Contains("with ESMTPA id ", Encoding.UTF8.GetString(fw.Messages.Single().Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auth_lines_and_challenge_responses_past_512_bytes_are_read_up_to_rfc_4954s_12288()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{Users}\nauth.allow-insecure = on");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        var longUser = new string('u', 3000);

        // Past the 512-byte command limit, but an AUTH line: judged as credentials, not as a long line.
        Assert.StartsWith("535 5.7.8 ", await session.ReplyAsync($"AUTH PLAIN {Plain(longUser, "wrong")}"));
        Assert.StartsWith("334 ", await session.ReplyAsync("AUTH LOGIN"));
        Assert.StartsWith("334 ", await session.ReplyAsync(Convert.ToBase64String(Encoding.ASCII.GetBytes(longUser))));
        Assert.StartsWith("535 5.7.8 ", await session.ReplyAsync(Convert.ToBase64String(Encoding.ASCII.GetBytes("wrong"))));
        // Any other command keeps the 512-byte limit.
        Assert.StartsWith("500 5.5.2 ", await session.ReplyAsync("NOOP " + new string('x', 600)));
    }

    [Theory]
    [InlineData("AUTH PLAIN not*base64", "501 5.5.2 Cannot decode the authentication response")]
    [InlineData("AUTH PLAIN =", "501 5.5.2 Cannot decode the authentication response")]
    [InlineData("AUTH PLAIN YWxpY2U=", "501 5.5.2 Cannot decode the authentication response")]
    [InlineData("AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication type")]
    public async Task Malformed_auth_gets_a_5xx_reply_and_the_session_goes_on(string line, string reply)
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}");
        using var session = await OpenOverTlsAsync(router);

        Assert.Equal(reply, await session.ReplyAsync(line));
        Assert.StartsWith("250", await session.ReplyAsync("NOOP"));
        Assert.StartsWith("235 2.7.0 ", await session.ReplyAsync($"AUTH PLAIN {Plain("alice", AlicePassword)}"));
    }

    [Fact]
    public async Task A_cancelled_or_undecodable_response_to_a_challenge_gets_501_and_the_session_goes_on()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await StartAsync(fw, $"{certificate.PemSettings()}\n{Users}");
        using var session = await OpenOverTlsAsync(router);

        Assert.Equal("334 VXNlcm5hbWU6", await session.ReplyAsync("AUTH LOGIN"));
        Assert.Equal("501 5.7.0 Authentication cancelled", await session.ReplyAsync("*"));
        Assert.Equal("334 VXNlcm5hbWU6", await session.ReplyAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await session.ReplyAsync(Base64("alice")));
        Assert.Equal("501 5.5.2 Cannot decode the authentication response", await session.ReplyAsync("not base64!"));
        Assert.StartsWith("334", await session.ReplyAsync("AUTH PLAIN"));
        Assert.Equal("501 5.5.2 Cannot decode the authentication response", await session.ReplyAsync(Base64("alice")));
        // Refused responses are not commands: the next line is one again.
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("NOOP"));
        Assert.StartsWith("334", await session.ReplyAsync("AUTH PLAIN"));
        Assert.StartsWith("235 2.7.0 ", await session.ReplyAsync(Plain("alice", AlicePassword)));
    }
}
