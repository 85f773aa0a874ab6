using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Router.Testing.Firewalls;
using Router.Testing.Tls;
using Xunit;

namespace Router.Tests.Fakes;

public sealed class FakeFirewallTests
{
    const string Host = "127.0.0.1";
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Accept_records_the_exact_bytes_sent()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-accept");
        var message = TrickyMessage();
        using var client = await ConnectAsync(firewall);

        await client.SendAsync(message, Address("sender@router.test"), [Address("alice@example.test"), Address("bob@example.test")]);

        var received = Assert.Single(firewall.Messages);
        Assert.Equal("sender@router.test", received.MailFrom);
        Assert.Equal(["alice@example.test", "bob@example.test"], received.Recipients);
        // After SendAsync the message holds what MailKit prepared and sent.
        Assert.Equal(Serialize(message), received.Data);
        AssertContains("\r\n.leading dot\r\n..two dots\r\n.\r\n"u8, received.Data);
        AssertContains("caf\u00e9 na\u00efve"u8, received.Data);
        Assert.EndsWith("\r\n", Encoding.Latin1.GetString(received.Data));
        Assert.Equal(1, firewall.Count);
        Assert.Equal(1, firewall.MailCommands);
        Assert.Equal(1, firewall.ConnectionsAccepted);
    }

    [Fact]
    public async Task Advertises_a_normal_firewall_and_no_auth()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-ehlo");
        using var client = await ConnectAsync(firewall);

        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Size));
        Assert.Equal(FakeFirewall.MaxMessageSize, (int)client.MaxSize);
        Assert.False(client.Capabilities.HasFlag(SmtpCapabilities.Authentication));
        Assert.Empty(client.AuthenticationMechanisms);
    }

    [Fact]
    public async Task With_a_certificate_it_offers_starttls_and_records_that_the_message_came_over_tls()
    {
        using var certificate = TestCertificates.CreateSelfSigned("fw.router.test");
        await using var firewall = await FakeFirewall.StartAsync("fw-tls", new FirewallSecurity { Certificate = certificate });
        using var client = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds, ServerCertificateValidationCallback = (_, _, _, _) => true };

        await client.ConnectAsync(Host, firewall.Port, SecureSocketOptions.StartTls);
        await client.SendAsync(SimpleMessage("over tls"));

        Assert.True(client.IsSecure);
        var received = Assert.Single(firewall.Messages);
        Assert.True(received.OverTls);
        Assert.Null(received.AuthenticatedUser);
    }

    [Fact]
    public async Task With_credentials_it_refuses_mail_before_auth_and_records_the_user_after()
    {
        using var certificate = TestCertificates.CreateSelfSigned("fw.router.test");
        await using var firewall = await FakeFirewall.StartAsync("fw-auth", new FirewallSecurity { Certificate = certificate, User = "relay", Password = "pw" });
        using var client = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds, ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync(Host, firewall.Port, SecureSocketOptions.StartTls);

        await Assert.ThrowsAsync<MailKit.ServiceNotAuthenticatedException>(() => client.SendAsync(SimpleMessage("no auth")));
        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("relay", "wrong"));
        await client.AuthenticateAsync("relay", "pw");
        await client.SendAsync(SimpleMessage("with auth"));

        Assert.Equal("relay", Assert.Single(firewall.Messages).AuthenticatedUser);
        Assert.True(firewall.AuthRejections >= 1);
    }

    [Fact]
    public async Task Refuse_refuses_connections_resets_open_ones_and_restart_listens_on_the_same_port()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-refuse");
        var port = firewall.Port;
        using var open = await ConnectAsync(firewall);

        firewall.Behavior = FirewallBehavior.Refuse;

        AssertReset(await Assert.ThrowsAsync<IOException>(() => open.NoOpAsync()));
        using (var refused = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds })
        {
            var error = await Assert.ThrowsAnyAsync<SocketException>(() => refused.ConnectAsync(Host, port, SecureSocketOptions.None));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        Assert.Equal(1, firewall.ConnectionsAccepted);

        await firewall.RestartAsync();

        Assert.Equal(port, firewall.Port);
        Assert.Equal(FirewallMode.Accept, firewall.Behavior.Mode);
        using var again = await ConnectAsync(firewall);
        await again.SendAsync(SimpleMessage("after restart"));
        Assert.Single(firewall.Messages);
    }

    [Fact]
    public async Task Stop_drops_everything_and_restart_accepts_again()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-stop");
        using var open = await ConnectAsync(firewall);

        await firewall.StopAsync();

        AssertReset(await Assert.ThrowsAsync<IOException>(() => open.SendAsync(SimpleMessage("too late"))));
        Assert.Empty(firewall.Messages);
        using (var refused = new SmtpClient())
        {
            await Assert.ThrowsAnyAsync<SocketException>(() => refused.ConnectAsync(Host, firewall.Port, SecureSocketOptions.None));
        }

        await firewall.RestartAsync();
        // Twice in a row must be harmless too.
        await firewall.StopAsync();
        await firewall.RestartAsync();

        using var again = await ConnectAsync(firewall);
        await again.SendAsync(SimpleMessage("back"));
        Assert.Single(firewall.Messages);
    }

    [Fact]
    public async Task StallBeforeGreeting_makes_the_client_time_out()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-stall");
        firewall.Behavior = FirewallBehavior.StallBeforeGreeting;
        using var client = new SmtpClient { Timeout = 1000 };
        using var safety = new CancellationTokenSource(Patience);

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => client.ConnectAsync(Host, firewall.Port, SecureSocketOptions.None, safety.Token));
        clock.Stop();

        Assert.False(safety.IsCancellationRequested, "the client's own 1 s timeout should have fired, not the safety net");
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), Patience);
        Assert.False(client.IsConnected);
        Assert.Equal(1, firewall.ConnectionsAccepted);
        Assert.Equal(0, firewall.MailCommands);
    }

    [Fact]
    public async Task Greeting421_fails_the_connect_with_421()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-421");
        firewall.Behavior = FirewallBehavior.Greeting421;
        using var client = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds };

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.ConnectAsync(Host, firewall.Port, SecureSocketOptions.None));

        Assert.Equal(SmtpStatusCode.ServiceNotAvailable, error.StatusCode);
        Assert.Contains("4.3.2", error.Message);
        Assert.Equal(1, firewall.ConnectionsAccepted);
    }

    [Fact]
    public async Task Reject451OnMail_fails_the_send_with_451_and_records_nothing()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-451");
        using var client = await ConnectAsync(firewall);
        firewall.Behavior = FirewallBehavior.Reject451OnMail;

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(SimpleMessage("deferred")));

        Assert.Equal(SmtpErrorCode.SenderNotAccepted, error.ErrorCode);
        Assert.Equal(SmtpStatusCode.ErrorInProcessing, error.StatusCode);
        Assert.StartsWith("4.3.0 Try again later", error.Message);
        Assert.Empty(firewall.Messages);
        Assert.Equal(1, firewall.MailCommands);

        // The same connection takes mail again as soon as the firewall does.
        firewall.Behavior = FirewallBehavior.Accept;
        await client.SendAsync(SimpleMessage("accepted"));
        Assert.Single(firewall.Messages);
        Assert.Equal(2, firewall.MailCommands);
    }

    [Fact]
    public async Task Reject550Recipient_rejects_only_matching_recipients()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-550");
        firewall.Behavior = FirewallBehavior.Reject550Recipient("nobody");
        using var client = await ConnectAsync(firewall);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(
            () => client.SendAsync(SimpleMessage("x"), Address("s@router.test"), [Address("Nobody-1@example.test")]));
        await client.SendAsync(SimpleMessage("y"), Address("s@router.test"), [Address("somebody@example.test")]);

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, error.ErrorCode);
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, error.StatusCode);
        Assert.StartsWith("5.1.1 User unknown", error.Message);
        var received = Assert.Single(firewall.Messages);
        Assert.Equal(["somebody@example.test"], received.Recipients);
    }

    [Fact]
    public async Task DropAfterData_records_the_message_but_never_answers()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-drop");
        firewall.Behavior = FirewallBehavior.DropAfterData;
        using var client = await ConnectAsync(firewall);
        var message = SimpleMessage("lost 250");

        AssertReset(await Assert.ThrowsAsync<IOException>(() => client.SendAsync(message)));

        var received = Assert.Single(firewall.Messages);
        Assert.Equal(Serialize(message), received.Data);

        // The client retries: the firewall now holds a duplicate, as a real one would.
        firewall.Behavior = FirewallBehavior.Accept;
        using var retry = await ConnectAsync(firewall);
        await retry.SendAsync(message);
        Assert.Equal(2, firewall.Count);
        Assert.Equal(firewall.Messages[0].Data, firewall.Messages[1].Data);
    }

    [Fact]
    public async Task WaitForCountAsync_completes_when_enough_messages_arrive()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-wait");
        var waiting = firewall.WaitForCountAsync(2, Patience);
        Assert.False(waiting.IsCompleted);

        using var client = await ConnectAsync(firewall);
        await client.SendAsync(SimpleMessage("one"));
        Assert.False(waiting.IsCompleted);
        await client.SendAsync(SimpleMessage("two"));

        await waiting;
        Assert.Equal(2, firewall.Count);
        // Already satisfied: completes at once.
        Assert.True(firewall.WaitForCountAsync(1, TimeSpan.Zero).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForCountAsync_times_out_with_the_current_count()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-timeout");
        using var client = await ConnectAsync(firewall);
        await client.SendAsync(SimpleMessage("only one"));

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => firewall.WaitForCountAsync(3, TimeSpan.FromMilliseconds(300)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), Patience);
        Assert.Contains("1 of 3", error.Message);
        Assert.Contains("fw-timeout", error.Message);
    }

    [Fact]
    public async Task Many_firewalls_start_serve_and_stop_in_parallel()
    {
        var firewalls = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => FakeFirewall.StartAsync($"fw-par-{i}")));
        try
        {
            Assert.Equal(firewalls.Length, firewalls.Select(f => f.Port).Distinct().Count());
            await Task.WhenAll(firewalls.Select(async firewall =>
            {
                using var client = await ConnectAsync(firewall);
                await client.SendAsync(SimpleMessage(firewall.Name));
                await firewall.StopAsync();
                await firewall.RestartAsync();
                await firewall.WaitForCountAsync(1, Patience);
            }));
        }
        finally
        {
            await Task.WhenAll(firewalls.Select(f => f.DisposeAsync().AsTask()));
        }

        Assert.All(firewalls, f => AssertContains(Encoding.ASCII.GetBytes(f.Name), Assert.Single(f.Messages).Data));
    }

    [Fact]
    public async Task Dispose_with_open_and_stalled_connections_is_prompt()
    {
        var firewall = await FakeFirewall.StartAsync("fw-dispose");
        using var open = await ConnectAsync(firewall);
        firewall.Behavior = FirewallBehavior.StallBeforeGreeting;
        using var stalled = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds };
        var stalling = stalled.ConnectAsync(Host, firewall.Port, SecureSocketOptions.None);

        var clock = Stopwatch.StartNew();
        await firewall.DisposeAsync();

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        await Assert.ThrowsAnyAsync<Exception>(() => stalling);
        AssertReset(await Assert.ThrowsAsync<IOException>(() => open.NoOpAsync()));
        Assert.Throws<ObjectDisposedException>(() => firewall.Behavior = FirewallBehavior.Accept);
    }

    static async Task<SmtpClient> ConnectAsync(FakeFirewall firewall)
    {
        var client = new SmtpClient { Timeout = (int)Patience.TotalMilliseconds, LocalDomain = "router.test" };
        try
        {
            await client.ConnectAsync(Host, firewall.Port, SecureSocketOptions.None);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The firewall reset the connection (RST), as a crashed host would.</summary>
    static void AssertReset(IOException error) =>
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);

    static void AssertContains(ReadOnlySpan<byte> expected, byte[] data) =>
        Assert.True(data.AsSpan().IndexOf(expected) >= 0, $"missing \"{Encoding.UTF8.GetString(expected)}\" in:\n{Encoding.UTF8.GetString(data)}");

    static MailboxAddress Address(string address) => MailboxAddress.Parse(address);

    static MimeMessage SimpleMessage(string marker)
    {
        var message = new MimeMessage();
        message.From.Add(Address("sender@router.test"));
        message.To.Add(Address("rcpt@example.test"));
        message.Subject = marker;
        message.Body = new TextPart("plain") { Text = $"marker: {marker}\r\n" };
        return message;
    }

    /// <summary>A body line starting with '.', a lone '.', a 990-byte line and 8-bit bytes.</summary>
    static MimeMessage TrickyMessage()
    {
        var message = new MimeMessage();
        message.From.Add(Address("sender@router.test"));
        message.To.Add(Address("alice@example.test"));
        message.Subject = "tricky";
        message.MessageId = "tricky@router.test";
        message.Date = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var body = new TextPart("plain") { ContentTransferEncoding = ContentEncoding.EightBit };
        body.SetText(Encoding.UTF8,
            "first line\r\n.leading dot\r\n..two dots\r\n.\r\n" + new string('x', 990) + "\r\ncaf\u00e9 na\u00efve\r\nlast");
        message.Body = body;
        return message;
    }

    static byte[] Serialize(MimeMessage message)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.EnsureNewLine = true;
        using var stream = new MemoryStream();
        message.WriteTo(format, stream);
        return stream.ToArray();
    }
}
