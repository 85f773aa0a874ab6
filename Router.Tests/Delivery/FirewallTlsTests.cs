using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Messages.Delivery;
using Router.Testing.Firewalls;
using Router.Testing.Tls;

namespace Router.Tests.Delivery;

/// <summary>TLS and AUTH of the egress client against the fake firewall's real STARTTLS and AUTH.</summary>
public sealed class FirewallTlsTests
{
    private const string FirewallName = "fw.router.test";
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("Subject: tls\r\n\r\nsecret content\r\n");

    private static FirewallOptions Options(FakeFirewall fake, FirewallTls tls) => new()
    {
        Id = fake.Name,
        Host = "127.0.0.1",
        Port = fake.Port,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        GreetingTimeout = TimeSpan.FromSeconds(5),
        TlsHandshakeTimeout = TimeSpan.FromSeconds(5),
        CommandTimeout = TimeSpan.FromSeconds(5),
        DataTimeout = TimeSpan.FromSeconds(5),
        Tls = tls,
    };

    private static DeliveryJob Job() => new("Q1", "sender@example.org", [0], ["rcpt@example.net"], Body.Length, "*", 0);

    private static async Task<DeliveryResult> DeliverAsync(FirewallOptions options)
    {
        await using var connection = new FirewallConnection(options);
        return await connection.DeliverAsync(Job(), () => new MemoryStream(Body), CancellationToken.None);
    }

    private static void AssertDelivered(DeliveryResult result)
    {
        Assert.True(result.Outcome == AttemptOutcome.Completed, $"{result.Outcome}: {result.Detail}");
        Assert.Equal(250, Assert.Single(result.Recipients).Code);
    }

    /// <summary>Failed before MAIL FROM: nothing of the message left the router.</summary>
    private static void AssertNothingSent(FakeFirewall fake)
    {
        Assert.Equal(0, fake.MailCommands);
        Assert.Equal(0, fake.Count);
    }

    private static FirewallSecurity WithCertificate(X509Certificate2 certificate) => new() { Certificate = certificate };

    [Fact]
    public async Task Opportunistic_delivers_over_tls_when_the_firewall_offers_starttls()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(certificate));

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.Opportunistic)));

        var received = Assert.Single(fake.Messages);
        Assert.True(received.OverTls);
        Assert.Contains(received.TlsProtocol, new[] { SslProtocols.Tls12, SslProtocols.Tls13 });
        Assert.Equal(Body, received.Data);
    }

    [Fact]
    public async Task Opportunistic_delivers_in_clear_when_the_firewall_does_not_offer_starttls()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.Opportunistic)));

        Assert.False(Assert.Single(fake.Messages).OverTls);
    }

    [Fact]
    public async Task Opportunistic_counts_a_failed_handshake_as_a_tls_failure_and_does_not_fall_back_to_clear_text()
    {
        // A certificate without its private key: the firewall offers STARTTLS and then cannot complete the handshake.
        using var full = TestCertificates.CreateSelfSigned(FirewallName);
        using var publicOnly = X509CertificateLoader.LoadCertificate(full.RawData);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(publicOnly));

        var result = await DeliverAsync(Options(fake, FirewallTls.Opportunistic));

        Assert.Equal(AttemptOutcome.TlsFailed, result.Outcome);
        Assert.False(result.DataSent);
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task None_never_starts_tls_even_when_offered()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(certificate));

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.None)));

        Assert.False(Assert.Single(fake.Messages).OverTls);
    }

    [Fact]
    public async Task Required_fails_as_a_tls_failure_without_sending_anything_when_starttls_is_not_offered()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");

        var result = await DeliverAsync(Options(fake, FirewallTls.Required));

        Assert.Equal(AttemptOutcome.TlsFailed, result.Outcome);
        Assert.Contains("does not offer STARTTLS", result.Detail, StringComparison.Ordinal);
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task Required_accepts_a_self_signed_certificate()
    {
        using var certificate = TestCertificates.CreateSelfSigned("some.other.name");
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(certificate));

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.Required)));

        Assert.True(Assert.Single(fake.Messages).OverTls);
    }

    [Fact]
    public async Task Verify_refuses_a_self_signed_certificate()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(certificate));

        var result = await DeliverAsync(Options(fake, FirewallTls.Verify) with { TlsServerName = FirewallName });

        Assert.Equal(AttemptOutcome.TlsFailed, result.Outcome);
        Assert.Contains("not trusted", result.Detail, StringComparison.Ordinal);
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task Verify_accepts_a_certificate_from_the_pinned_ca_for_the_server_name()
    {
        using var ca = TestCertificates.CreateCa("Router Test CA");
        using var leaf = TestCertificates.CreateLeaf(ca, FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(leaf));
        var anchors = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(ca.RawData));

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.Verify) with { TlsServerName = FirewallName, TlsTrustAnchors = anchors }));

        Assert.True(Assert.Single(fake.Messages).OverTls);
    }

    [Fact]
    public async Task Verify_refuses_a_certificate_from_the_pinned_ca_that_names_another_host()
    {
        using var ca = TestCertificates.CreateCa("Router Test CA");
        using var leaf = TestCertificates.CreateLeaf(ca, "somewhere-else.router.test");
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(leaf));
        var anchors = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(ca.RawData));

        var result = await DeliverAsync(Options(fake, FirewallTls.Verify) with { TlsServerName = FirewallName, TlsTrustAnchors = anchors });

        Assert.Equal(AttemptOutcome.TlsFailed, result.Outcome);
        Assert.Contains("does not name the firewall", result.Detail, StringComparison.Ordinal);
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task Verify_with_a_pinned_ca_refuses_a_certificate_another_ca_signed()
    {
        using var pinned = TestCertificates.CreateCa("Pinned CA");
        using var other = TestCertificates.CreateCa("Other CA");
        using var leaf = TestCertificates.CreateLeaf(other, FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", WithCertificate(leaf));
        var anchors = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(pinned.RawData));

        var result = await DeliverAsync(Options(fake, FirewallTls.Verify) with { TlsServerName = FirewallName, TlsTrustAnchors = anchors });

        Assert.Equal(AttemptOutcome.TlsFailed, result.Outcome);
        Assert.Contains("does not chain to tls-ca-file", result.Detail, StringComparison.Ordinal);
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task Good_credentials_authenticate_over_tls_and_deliver()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", new FirewallSecurity { Certificate = certificate, User = "router", Password = "s3cret" });

        AssertDelivered(await DeliverAsync(Options(fake, FirewallTls.Required) with { Auth = new FirewallCredentials("router", "s3cret", "test") }));

        var received = Assert.Single(fake.Messages);
        Assert.True(received.OverTls);
        Assert.Equal("router", received.AuthenticatedUser);
    }

    [Fact]
    public async Task Bad_credentials_are_an_auth_failure_of_the_firewall_and_nothing_is_sent()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", new FirewallSecurity { Certificate = certificate, User = "router", Password = "s3cret" });

        var result = await DeliverAsync(Options(fake, FirewallTls.Required) with { Auth = new FirewallCredentials("router", "wrong", "test") });

        Assert.Equal(AttemptOutcome.AuthFailed, result.Outcome);
        Assert.Contains("535", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, fake.AuthRejections); // one try per connection, not one per mechanism
        AssertNothingSent(fake);
    }

    [Fact]
    public async Task Credentials_are_not_sent_over_a_connection_without_tls_unless_allowed()
    {
        await using var fake = await FakeFirewall.StartAsync("fw", new FirewallSecurity { User = "router", Password = "s3cret", AllowInsecureAuth = true });
        var options = Options(fake, FirewallTls.Opportunistic) with { Auth = new FirewallCredentials("router", "s3cret", "test") };

        var refused = await DeliverAsync(options);

        Assert.Equal(AttemptOutcome.AuthFailed, refused.Outcome);
        Assert.Contains("auth-allow-insecure is off", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(0, fake.AuthRejections);
        AssertNothingSent(fake);

        AssertDelivered(await DeliverAsync(options with { AuthAllowInsecure = true }));
        var received = Assert.Single(fake.Messages);
        Assert.False(received.OverTls);
        Assert.Equal("router", received.AuthenticatedUser);
    }

    [Fact]
    public async Task A_firewall_demanding_auth_the_router_lacks_is_an_auth_failure_not_a_rejection_of_the_message()
    {
        using var certificate = TestCertificates.CreateSelfSigned(FirewallName);
        await using var fake = await FakeFirewall.StartAsync("fw", new FirewallSecurity { Certificate = certificate, User = "router", Password = "s3cret" });

        var result = await DeliverAsync(Options(fake, FirewallTls.Opportunistic));

        Assert.Equal(AttemptOutcome.AuthFailed, result.Outcome);
        Assert.Contains("530", result.Detail, StringComparison.Ordinal);
        Assert.All(result.Recipients, r => Assert.False(r.Permanent));
        Assert.Equal(0, fake.Count);
    }
}
