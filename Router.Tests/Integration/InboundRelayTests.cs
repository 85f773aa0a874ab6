using System.Net;
using System.Net.Sockets;
using System.Text;
using Router.Actors.Ingress.Auth;
using Router.Node.Admin;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 20 item 5: mail for the internal domains accepted from any client (the firewalls bringing internet mail in),
/// relaying elsewhere only for the relay networks or AUTH, recipient validation by list and by callout, and listener
/// blocks with their own policies. Real sockets: raw SMTP clients, fake internal and outbound servers on loopback.
/// </summary>
public sealed partial class InboundRelayTests
{
    private const string Password = "correct horse battery staple";
    private static readonly string Hash = PasswordHash.Create(Password, PasswordHash.MinIterations).ToString();

    // The test clients connect from 127.0.0.1: with these networks they are not allowed to relay.
    private const string Outside = "relay.allowed-networks = [\"192.0.2.0/24\"]";

    private static Task<TestRouter> StartAsync(FakeFirewall internalServer, FakeFirewall outbound, string smtp) =>
        TestRouter.StartAsync($$"""
            smtp {
              {{smtp}}
            }
            firewalls {
              internal { host = "127.0.0.1", port = {{internalServer.Port}} }
              fw-out { host = "127.0.0.1", port = {{outbound.Port}} }
            }
            connectors {
              corp { address-spaces = ["corp.example;1", "*.corp.example;1"], firewalls = [internal] }
              out { address-spaces = ["*;1"], firewalls = [fw-out] }
            }
            """);

    private static string Plain(string user, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    [Fact]
    public async Task An_unauthorised_client_may_send_to_the_relay_domains_and_the_mail_reaches_the_internal_server_but_not_elsewhere()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, $"{Outside}\nrelay.domains = [\"corp.example\", \"*.corp.example\"]");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO mx.internet.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<victim@elsewhere.example>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<victim%elsewhere.example@corp.example>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<victim@notcorp.example>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<bob@eng.corp.example>"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: inbound\r\n\r\nfrom the internet\r\n."));

        await corp.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(["alice@corp.example", "bob@eng.corp.example"], corp.Messages.Single().Recipients.Order());
        Assert.Equal(0, outbound.Count);
    }

    [Fact]
    public async Task An_authenticated_client_and_one_in_the_relay_networks_may_relay_anywhere()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound,
            $"{Outside}\nrelay.domains = [\"corp.example\"]\nauth.users {{ alice = \"{Hash}\" }}\nauth.allow-insecure = on");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO laptop.test");
        Assert.StartsWith("235 2.7.0 ", await session.ReplyAsync($"AUTH PLAIN {Plain("alice", Password)}"));
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<alice@corp.example>"));
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<partner@elsewhere.example>"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: out\r\n\r\nto a partner\r\n."));
        await outbound.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(["partner@elsewhere.example"], outbound.Messages.Single().Recipients);

        // Loopback in the relay networks: relays anywhere without AUTH, as before relay domains existed.
        await using var open = await StartAsync(corp, outbound, "relay.domains = [\"corp.example\"]");
        var (second, _) = await RawSmtpSession.OpenAsync(open.Smtp);
        using var __ = second;
        Assert.StartsWith("250 2.0.0 Ok: queued as ",
            await second.TransactionAsync("MAIL FROM:<app@corp.example>", ["RCPT TO:<someone@elsewhere.example>"], "Subject: app\r\n\r\nbody"));
        await outbound.WaitForCountAsync(2, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Recipients_at_relay_domains_not_in_the_list_or_file_get_550_5_1_1()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["# mailboxes of corp.example", "carol@corp.example", "@sales.corp.example"]);
        try
        {
            await using var corp = await FakeFirewall.StartAsync("internal");
            await using var outbound = await FakeFirewall.StartAsync("fw-out");
            await using var router = await StartAsync(corp, outbound, $$"""
                {{Outside}}
                relay {
                  domains = ["corp.example", "*.corp.example"]
                  recipients = ["Alice@corp.example"]
                  recipients-file = "{{file.Replace("\\", "\\\\")}}"
                }
                """);
            var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
            using var _ = session;

            await session.SendAsync("EHLO mx.internet.test");
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
            Assert.Equal("550 5.1.1 <mallory@corp.example>: Recipient address rejected: User unknown",
                await session.ReplyAsync("RCPT TO:<mallory@corp.example>"));
            Assert.Equal("550 5.1.1 <x@eng.corp.example>: Recipient address rejected: User unknown", await session.ReplyAsync("RCPT TO:<x@eng.corp.example>"));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<alice@CORP.example>"));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<carol@corp.example>"));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<anyone@sales.corp.example>"));
            Assert.StartsWith("354", await session.ReplyAsync("DATA"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: listed\r\n\r\nbody\r\n."));
            await corp.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
            Assert.Equal(["alice@CORP.example", "anyone@sales.corp.example", "carol@corp.example"], corp.Messages.Single().Recipients.Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_callout_to_the_internal_server_decides_550_5_1_1_or_250_and_its_answers_are_cached()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        corp.Behavior = FirewallBehavior.Reject550Or450Recipient("nobody", "busy");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound,
            $"{Outside}\nrelay {{ domains = [\"corp.example\"], callout = \"127.0.0.1:{corp.Port}\" }}");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO mx.internet.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        Assert.Equal("550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown", await session.ReplyAsync("RCPT TO:<nobody@corp.example>"));
        Assert.Equal("451 4.4.2 Recipient verification failed temporarily, try again later", await session.ReplyAsync("RCPT TO:<busy@corp.example>"));
        var before = corp.ConnectionsAccepted;
        Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.Equal(before + 1, corp.ConnectionsAccepted);
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: verified\r\n\r\nbody\r\n."));
        await corp.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(["alice@corp.example"], corp.Messages.Single().Recipients);

        // Cached: the same answers again without asking the internal server.
        var (again, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var __ = again;
        await again.SendAsync("EHLO mx.internet.test");
        Assert.StartsWith("250", await again.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        var connections = corp.ConnectionsAccepted;
        Assert.StartsWith("250", await again.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.StartsWith("550 5.1.1 ", await again.ReplyAsync("RCPT TO:<NOBODY@corp.example>"));
        Assert.Equal(connections, corp.ConnectionsAccepted);
        // A temporary failure is not cached: asked again, still 451.
        Assert.StartsWith("451 4.4.2 ", await again.ReplyAsync("RCPT TO:<busy@corp.example>"));
        Assert.Equal(connections + 1, corp.ConnectionsAccepted);
    }

    [Fact]
    public async Task A_callout_to_an_unreachable_internal_server_gives_451_4_4_1_never_250()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        // A port nothing listens on: taken, then released.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var router = await StartAsync(corp, outbound,
            $"{Outside}\nrelay {{ domains = [\"corp.example\"], callout = \"127.0.0.1:{closedPort}\", callout-timeout = 5s }}");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO mx.internet.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        Assert.Equal("451 4.4.1 Recipient verification failed temporarily, try again later", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.Equal("451 4.4.1 Recipient verification failed temporarily, try again later", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.StartsWith("554 5.7.1 ", await session.ReplyAsync("RCPT TO:<x@elsewhere.example>"));
        // No recipient was accepted: no DATA either.
        Assert.StartsWith("5", await session.ReplyAsync("DATA"));
        Assert.Equal(0, corp.Count);
    }

    [Fact]
    public async Task A_callout_to_an_internal_server_that_never_greets_gives_451_4_4_1_after_callout_timeout()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        corp.Behavior = FirewallBehavior.StallBeforeGreeting;
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound,
            $"{Outside}\nrelay {{ domains = [\"corp.example\"], callout = \"127.0.0.1:{corp.Port}\", callout-timeout = 1s }}");
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        await session.SendAsync("EHLO mx.internet.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        var asked = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("451 4.4.1 Recipient verification failed temporarily, try again later", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.InRange(asked.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(30));
        Assert.Equal(0, corp.Count);
    }

    [Fact]
    public async Task Two_listener_blocks_on_two_ports_keep_their_own_policies()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, $$"""
            auth.users { alice = "{{Hash}}" }
            auth.allow-insecure = on
            listeners {
              inbound { listen = ["127.0.0.1:0"], relay { allowed-networks = [], domains = ["corp.example"] } }
              submission { listen = ["127.0.0.1:0"], auth.required = on }
            }
            """);
        var listeners = await router.Node.SmtpListenersAsync();
        Assert.Equal(["inbound", "submission"], listeners.Keys.Order());
        var inboundPort = Assert.Single(listeners["inbound"]);
        var submissionPort = Assert.Single(listeners["submission"]);
        Assert.NotEqual(inboundPort.Port, submissionPort.Port);

        // inbound: loopback is no relay network here; only the relay domain is accepted.
        var (inbound, _) = await RawSmtpSession.OpenAsync(inboundPort);
        using (inbound)
        {
            await inbound.SendAsync("EHLO mx.internet.test");
            Assert.StartsWith("250", await inbound.ReplyAsync("MAIL FROM:<someone@internet.test>"));
            Assert.Equal("554 5.7.1 Relay access denied", await inbound.ReplyAsync("RCPT TO:<x@elsewhere.example>"));
            Assert.StartsWith("250", await inbound.ReplyAsync("RCPT TO:<alice@corp.example>"));
            Assert.StartsWith("354", await inbound.ReplyAsync("DATA"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", await inbound.ReplyAsync("Subject: in\r\n\r\nbody\r\n."));
        }

        // submission: loopback is in the (inherited) relay networks, yet AUTH is required first.
        var (submission, _) = await RawSmtpSession.OpenAsync(submissionPort);
        using (submission)
        {
            await submission.SendAsync("EHLO laptop.test");
            Assert.Equal("530 5.7.0 Authentication required", await submission.ReplyAsync("MAIL FROM:<alice@corp.example>"));
            Assert.StartsWith("235 2.7.0 ", await submission.ReplyAsync($"AUTH PLAIN {Plain("alice", Password)}"));
            Assert.StartsWith("250", await submission.ReplyAsync("MAIL FROM:<alice@corp.example>"));
            Assert.StartsWith("250", await submission.ReplyAsync("RCPT TO:<partner@elsewhere.example>"));
            Assert.StartsWith("354", await submission.ReplyAsync("DATA"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", await submission.ReplyAsync("Subject: out\r\n\r\nbody\r\n."));
        }

        await corp.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        await outbound.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(["alice@corp.example"], corp.Messages.Single().Recipients);
        Assert.Equal(["partner@elsewhere.example"], outbound.Messages.Single().Recipients);
    }

    [Fact]
    public async Task Without_listener_blocks_the_top_level_keys_are_the_one_default_listener_as_before()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, Outside);
        var listeners = await router.Node.SmtpListenersAsync();
        Assert.Equal(router.Smtp, Assert.Single(Assert.Single(listeners, l => l.Key == "default").Value));

        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        // No relay domains: outside the relay networks every recipient is refused, the internal domains included.
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<alice@corp.example>"));
        Assert.Equal("554 5.7.1 Relay access denied", await session.ReplyAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task A_reload_changes_a_listeners_relay_policy_live_and_refuses_a_changed_listen_by_name()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, """
            listeners {
              inbound { listen = ["127.0.0.1:0"], relay { allowed-networks = [], domains = ["corp.example"] } }
            }
            """);
        var port = Assert.Single((await router.Node.SmtpListenersAsync())["inbound"]);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{router.Node.AdminEndpoint}/"), Timeout = TimeSpan.FromSeconds(60) };

        async Task<string> RcptAsync(string recipient)
        {
            var (session, _) = await RawSmtpSession.OpenAsync(port);
            using var _ = session;
            await session.SendAsync("EHLO mx.internet.test");
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<someone@internet.test>"));
            return await session.ReplyAsync($"RCPT TO:<{recipient}>");
        }

        Assert.StartsWith("554 5.7.1 ", await RcptAsync("x@eng.corp.example"));
        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace("domains = [\"corp.example\"]", "domains = [\"corp.example\", \"*.corp.example\"]"));
        using (var response = await admin.PostAsync("api/config/reload", null))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.StartsWith("250", await RcptAsync("x@eng.corp.example"));

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace("listen = [\"127.0.0.1:0\"], relay", "listen = [\"127.0.0.1:0\", \"[::1]:0\"], relay"));
        using (var response = await admin.PostAsync("api/config/reload", null))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("router.smtp.listeners.inbound.listen", body);
        }
        // Refused whole: the policy of the last applied reload holds.
        Assert.StartsWith("250", await RcptAsync("x@eng.corp.example"));
        Assert.StartsWith("554 5.7.1 ", await RcptAsync("x@elsewhere.example"));
    }
}
