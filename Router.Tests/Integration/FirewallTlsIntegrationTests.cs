using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>TLS and AUTH towards firewalls through a whole node: health, tripping and rerouting with real STARTTLS and AUTH.</summary>
public sealed class FirewallTlsIntegrationTests : IDisposable
{
    private const string ServerName = "fw.router.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }

    private string TempFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"router-tls-test-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        _files.Add(path);
        return path;
    }

    /// <summary>One connector over both firewalls, so mail fw-a fails goes to fw-b; each firewall block gets its own extra keys.</summary>
    private static string OneConnector(FakeFirewall a, string aKeys, FakeFirewall b, string bKeys) => $$"""
        firewalls {
          {{a.Name}} {
            host = "127.0.0.1"
            port = {{a.Port}}
            {{aKeys}}
          }
          {{b.Name}} {
            host = "127.0.0.1"
            port = {{b.Port}}
            {{bKeys}}
          }
        }
        connectors {
          out { address-spaces = ["*;1"], firewalls = [{{a.Name}}, {{b.Name}}] }
        }
        """;

    private static async Task<byte[][]> SendAsync(TestRouter router, string prefix, int count)
    {
        var messages = Enumerable.Range(0, count).Select(i => TestMail.Build($"{prefix}{i:D3}")).ToArray();
        await TestMail.SendAsync(router.Smtp, messages);
        return messages;
    }

    private static async Task AssertAllArrivedAsync(FakeFirewall firewall, byte[][] sent)
    {
        var expected = sent.Select(TestMail.IdOf).ToHashSet();
        await Eventually.TrueAsync(
            () => expected.IsSubsetOf(firewall.Messages.Select(m => TestMail.IdOf(m.Data))),
            Patience,
            () => $"{firewall.Name} has {firewall.Messages.Select(m => TestMail.IdOf(m.Data)).Count(expected.Contains)} of {expected.Count}");
    }

    [Fact]
    public async Task Required_tls_to_a_firewall_without_starttls_trips_it_and_its_mail_goes_over_tls_to_the_other()
    {
        using var certificate = TestCertificates.CreateSelfSigned(ServerName);
        await using var plain = await FakeFirewall.StartAsync("fw-a");
        await using var secure = await FakeFirewall.StartAsync("fw-b", new FirewallSecurity { Certificate = certificate });
        await using var router = await TestRouter.StartAsync(OneConnector(plain, "tls = required", secure, "tls = required"));
        var events = HealthEvents.Attach(router.Node.System);
        var start = DateTimeOffset.UtcNow;

        var sent = await SendAsync(router, "req", 20);

        var tripped = await events.WaitForAsync("fw-a", "tripped", start, Patience);
        Assert.Contains("TlsFailed", tripped.Reason, StringComparison.Ordinal);
        await AssertAllArrivedAsync(secure, sent);
        Assert.All(secure.Messages, m => Assert.True(m.OverTls));
        // Never in clear: fw-a did not get so much as a MAIL FROM.
        Assert.Equal(0, plain.MailCommands);
        Assert.Equal(0, plain.Count);
    }

    [Fact]
    public async Task The_probe_trips_a_firewall_whose_certificate_fails_verification_before_any_mail_is_sent()
    {
        using var ca = TestCertificates.CreateCa("Router Test CA");
        using var good = TestCertificates.CreateLeaf(ca, ServerName);
        using var selfSigned = TestCertificates.CreateSelfSigned(ServerName);
        var caFile = TestCertificates.WritePem(ca);
        _files.Add(caFile);
        await using var broken = await FakeFirewall.StartAsync("fw-a", new FirewallSecurity { Certificate = selfSigned });
        await using var trusted = await FakeFirewall.StartAsync("fw-b", new FirewallSecurity { Certificate = good });
        var verify = $"tls = verify\ntls-server-name = \"{ServerName}\"\ntls-ca-file = \"{caFile}\"\nhealthy-probe-interval = 200ms";
        await using var router = await TestRouter.StartAsync(OneConnector(broken, verify, trusted, verify));
        var events = HealthEvents.Attach(router.Node.System);
        var start = DateTimeOffset.UtcNow;

        var tripped = await events.WaitForAsync("fw-a", "tripped", start, Patience);

        Assert.Contains("does not chain to tls-ca-file", tripped.Reason, StringComparison.Ordinal);
        // fw-b's probes passed the same verification all along.
        Assert.DoesNotContain(events.All, e => e.FirewallId == "fw-b");
        Assert.Equal(0, broken.MailCommands);

        var sent = await SendAsync(router, "verify", 5);
        await AssertAllArrivedAsync(trusted, sent);
        Assert.All(trusted.Messages, m => Assert.True(m.OverTls));
    }

    [Fact]
    public async Task Good_credentials_deliver_over_tls_as_the_configured_user()
    {
        using var certificate = TestCertificates.CreateSelfSigned(ServerName);
        await using var authed = await FakeFirewall.StartAsync("fw-a", new FirewallSecurity { Certificate = certificate, User = "relay", Password = "right" });
        await using var other = await FakeFirewall.StartAsync("fw-b");
        var secret = TempFile("right\n");
        await using var router = await TestRouter.StartAsync(OneConnector(authed, $"auth {{ user = relay, password-file = \"{secret}\" }}", other, "tls = none"));
        await other.StopAsync();

        var sent = await SendAsync(router, "auth", 5);

        await AssertAllArrivedAsync(authed, sent);
        Assert.All(authed.Messages, m => Assert.Equal(("relay", true), (m.AuthenticatedUser, m.OverTls)));
        Assert.Equal(0, authed.AuthRejections);
    }

    [Fact]
    public async Task Bad_credentials_trip_the_firewall_and_its_mail_goes_to_the_other_without_bounces()
    {
        using var certificate = TestCertificates.CreateSelfSigned(ServerName);
        await using var authed = await FakeFirewall.StartAsync("fw-a", new FirewallSecurity { Certificate = certificate, User = "relay", Password = "right" });
        await using var other = await FakeFirewall.StartAsync("fw-b");
        var secret = TempFile("wrong\n");
        await using var router = await TestRouter.StartAsync(OneConnector(authed, $"auth {{ user = relay, password-file = \"{secret}\" }}", other, string.Empty));
        var events = HealthEvents.Attach(router.Node.System);
        var start = DateTimeOffset.UtcNow;

        var sent = await SendAsync(router, "badauth", 20);

        var tripped = await events.WaitForAsync("fw-a", "tripped", start, Patience);
        Assert.Contains("AuthFailed", tripped.Reason, StringComparison.Ordinal);
        await AssertAllArrivedAsync(other, sent);
        Assert.True(authed.AuthRejections > 0);
        Assert.Equal(0, authed.Count);
        // The failure was the path's, not the messages': nothing came back to the sender.
        Assert.DoesNotContain(other.Messages, m => m.MailFrom.Length == 0);
    }
}
