using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23, REQUIRETLS (RFC 8689) over real sockets: offered after STARTTLS where a certificate is configured, taken on
/// a TLS session only, delivered only over TLS with a verified certificate (tls = verify) to a firewall that offers
/// REQUIRETLS, which gets the parameter; otherwise the sender gets a DSN with 5.7.30 that returns headers only.
/// </summary>
public sealed class RequireTlsTests : IDisposable
{
    private const string ServerName = "fw.router.test";
    private const string Secret = "the body that asked for TLS";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }

    private static string Firewall(FakeFirewall firewall, string keys) => $$"""
        {{firewall.Name}} {
          host = "127.0.0.1"
          port = {{firewall.Port}}
          {{keys}}
        }
        """;

    /// <summary>The listener has <paramref name="certificate"/>; example.net goes to <paramref name="first"/> (cost 1), then <paramref name="second"/> (cost 5).</summary>
    private static Task<TestRouter> StartAsync(TestCertificate certificate, FakeFirewall hub, (FakeFirewall Firewall, string Keys) first, (FakeFirewall Firewall, string Keys) second) =>
        TestRouter.StartAsync($$"""
            smtp {
              {{certificate.PemSettings()}}
            }
            firewalls {
              {{Firewall(hub, string.Empty)}}
              {{Firewall(first.Firewall, first.Keys)}}
              {{Firewall(second.Firewall, second.Keys)}}
            }
            connectors {
              a { address-spaces = ["example.net;1"], firewalls = [{{first.Firewall.Name}}] }
              b { address-spaces = ["example.net;5"], firewalls = [{{second.Firewall.Name}}] }
              internal { address-spaces = ["corp.example;1"], firewalls = [hub] }
            }
            """);

    private string Verify(System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        var caFile = TestCertificates.WritePem(ca);
        _files.Add(caFile);
        return $"tls = verify\ntls-server-name = \"{ServerName}\"\ntls-ca-file = \"{caFile}\"";
    }

    /// <summary>EHLO, STARTTLS, then one transaction with MAIL ... REQUIRETLS over TLS.</summary>
    private static async Task SendOverTlsAsync(TestRouter router, string mail)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        await session.StartTlsAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as ",
            await session.TransactionAsync(mail, ["RCPT TO:<bob@example.net>"], $"Subject: secret\r\n\r\n{Secret}\r\n"));
    }

    [Fact]
    public async Task Requiretls_is_offered_after_starttls_and_taken_on_a_tls_session_only()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync($$"""
            smtp {
              {{certificate.PemSettings()}}
            }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        Assert.DoesNotContain(await session.SendAsync("EHLO client.test"), line => line[4..] == "REQUIRETLS");
        Assert.Equal("530 5.7.0 REQUIRETLS needs a TLS session: issue STARTTLS first", await session.ReplyAsync("MAIL FROM:<a@example.org> REQUIRETLS"));

        await session.StartTlsAsync();
        Assert.Contains(await session.SendAsync("EHLO client.test"), line => line[4..] == "REQUIRETLS");
        Assert.StartsWith("501 5.5.4 ", await session.ReplyAsync("MAIL FROM:<a@example.org> REQUIRETLS=yes"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org> REQUIRETLS"));
    }

    [Fact]
    public async Task A_requiretls_message_skips_a_firewall_without_verified_tls_and_goes_to_one_with_it_that_offers_requiretls()
    {
        using var certificate = TestCertificate.Create();
        using var ca = TestCertificates.CreateCa("Router Test CA");
        using var leaf = TestCertificates.CreateLeaf(ca, ServerName);
        await using var hub = await FakeFirewall.StartAsync("hub");
        // Offers REQUIRETLS, but the router does not verify its certificate: not good enough.
        await using var unverified = await FakeFirewall.StartAsync("fw-unverified", new FirewallSecurity { Certificate = leaf }, ["8BITMIME", "REQUIRETLS"]);
        await using var verified = await FakeFirewall.StartAsync("fw-verified", new FirewallSecurity { Certificate = leaf }, ["8BITMIME", "REQUIRETLS"]);
        await using var router = await StartAsync(certificate, hub, (unverified, "tls = required"), (verified, Verify(ca)));

        await SendOverTlsAsync(router, "MAIL FROM:<alice@corp.example> REQUIRETLS");

        await verified.WaitForCountAsync(1, Wait);
        var message = verified.Messages[0];
        Assert.True(message.OverTls);
        Assert.True(message.MailParameters.ContainsKey("REQUIRETLS"));
        Assert.Contains(Secret, Encoding.UTF8.GetString(message.Data));
        Assert.Equal(0, unverified.MailCommands);
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task A_requiretls_message_no_firewall_can_take_bounces_with_5_7_30_and_the_report_returns_headers_only()
    {
        using var certificate = TestCertificate.Create();
        using var ca = TestCertificates.CreateCa("Router Test CA");
        using var leaf = TestCertificates.CreateLeaf(ca, ServerName);
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var unverified = await FakeFirewall.StartAsync("fw-unverified", new FirewallSecurity { Certificate = leaf }, ["8BITMIME", "REQUIRETLS"]);
        // Verified, but without REQUIRETLS.
        await using var lacking = await FakeFirewall.StartAsync("fw-lacking", new FirewallSecurity { Certificate = leaf }, ["8BITMIME"]);
        await using var router = await StartAsync(certificate, hub, (unverified, "tls = opportunistic"), (lacking, Verify(ca)));

        await SendOverTlsAsync(router, "MAIL FROM:<alice@corp.example> REQUIRETLS RET=FULL");

        await hub.WaitForCountAsync(1, Wait);
        var report = Encoding.UTF8.GetString(hub.Messages[0].Data);
        Assert.Contains("Status: 5.7.30", report);
        Assert.Contains("fw-lacking does not offer REQUIRETLS, fw-unverified does not offer REQUIRETLS", System.Text.RegularExpressions.Regex.Replace(report, @"\s+", " "));
        Assert.Contains("Subject: secret", report);
        // RET=FULL is not honoured for it: the body stays out of a report that travels without REQUIRETLS.
        Assert.DoesNotContain(Secret, report);
        Assert.False(hub.Messages[0].MailParameters.ContainsKey("REQUIRETLS"));
        Assert.Equal(0, unverified.MailCommands);
        Assert.Equal(0, lacking.MailCommands);
    }
}
