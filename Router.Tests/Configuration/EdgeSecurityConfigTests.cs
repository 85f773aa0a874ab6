using Router.Actors.Configuration;
using Router.Actors.Ingress.Auth;
using Router.Testing.Tls;

namespace Router.Tests.Configuration;

/// <summary><c>router.smtp.tls</c> and <c>router.smtp.auth</c>: loading, defaults, and rejections that name the key.</summary>
public sealed class EdgeSecurityConfigTests
{
    private static readonly string AliceHash = PasswordHash.Create("secret", PasswordHash.MinIterations).ToString();

    private static RouterOptions Options(string smtp) =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith($"router.smtp {{ {smtp} }}")));

    private static void AssertRejected(string smtp, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Options(smtp));
        Assert.Equal(key, error.Key);
        Assert.StartsWith($"{key}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void By_default_there_is_no_certificate_no_user_and_the_limits_match_the_option_records()
    {
        var smtp = Options(string.Empty).Smtp;

        Assert.Null(smtp.Tls.Certificate);
        Assert.False(smtp.Tls.Required);
        Assert.False(smtp.Auth.Enabled);
        var defaults = new SmtpAuthOptions();
        Assert.Equal(
            (defaults.AllowInsecure, defaults.MaxFailures, defaults.MaxFailuresPerClient, defaults.FailureWindow),
            (smtp.Auth.AllowInsecure, smtp.Auth.MaxFailures, smtp.Auth.MaxFailuresPerClient, smtp.Auth.FailureWindow));
    }

    [Fact]
    public void The_shipped_router_conf_states_the_built_in_tls_and_auth_defaults()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Router.sln")))
            dir = dir.Parent;
        var shipped = RouterConfig.ToOptions(RouterConfig.Load(Path.Combine(dir.FullName, "hocon", "router.conf"))).Smtp;
        var builtIn = Options(string.Empty).Smtp;

        Assert.Equal(builtIn.Tls, shipped.Tls);
        Assert.Equal(
            (builtIn.Auth.Enabled, builtIn.Auth.AllowInsecure, builtIn.Auth.MaxFailures, builtIn.Auth.MaxFailuresPerClient, builtIn.Auth.FailureWindow),
            (shipped.Auth.Enabled, shipped.Auth.AllowInsecure, shipped.Auth.MaxFailures, shipped.Auth.MaxFailuresPerClient, shipped.Auth.FailureWindow));
    }

    [Fact]
    public void A_pem_pair_and_a_pfx_with_its_password_both_load_with_their_private_key()
    {
        using var certificate = TestCertificate.Create();

        var pem = Options(certificate.PemSettings(required: true)).Smtp.Tls;
        var pfx = Options(certificate.PfxSettings()).Smtp.Tls;

        Assert.Equal(certificate.Thumbprint, pem.Certificate?.Thumbprint);
        Assert.True(pem.Certificate?.HasPrivateKey);
        Assert.True(pem.Required);
        Assert.Equal(certificate.Thumbprint, pfx.Certificate?.Thumbprint);
        Assert.True(pfx.Certificate?.HasPrivateKey);
    }

    [Fact]
    public void A_missing_certificate_file_is_named()
    {
        AssertRejected("tls.certificate = \"/nonexistent/router.pem\"", "router.smtp.tls.certificate", "cannot read \"/nonexistent/router.pem\"");
    }

    [Fact]
    public void A_missing_key_file_is_named()
    {
        using var certificate = TestCertificate.Create();
        AssertRejected($"tls {{ certificate = \"{certificate.CertificatePem}\", key = \"/nonexistent/router.key\" }}",
            "router.smtp.tls.key", "cannot read \"/nonexistent/router.key\"");
    }

    [Fact]
    public void A_pem_certificate_without_its_key_is_named()
    {
        using var certificate = TestCertificate.Create();
        AssertRejected($"tls.certificate = \"{certificate.CertificatePem}\"", "router.smtp.tls.certificate", "cannot load the PEM certificate and private key");
    }

    [Fact]
    public void A_key_that_is_not_a_key_is_named()
    {
        using var certificate = TestCertificate.Create();
        AssertRejected($"tls {{ certificate = \"{certificate.CertificatePem}\", key = \"{certificate.CertificatePem}\" }}",
            "router.smtp.tls.key", "cannot load the PEM certificate and private key");
    }

    [Fact]
    public void A_pfx_with_the_wrong_password_is_named()
    {
        using var certificate = TestCertificate.Create();
        AssertRejected($"tls {{ certificate = \"{certificate.Pfx}\", password = \"wrong\" }}", "router.smtp.tls.certificate", "wrong password?");
    }

    [Fact]
    public void Tls_required_without_a_certificate_is_refused()
    {
        AssertRejected("tls.required = on", "router.smtp.tls.required", "without a certificate");
    }

    [Fact]
    public void A_key_without_a_certificate_is_refused()
    {
        AssertRejected("tls.key = \"/etc/router.key\"", "router.smtp.tls.key", "router.smtp.tls.certificate is not");
    }

    [Fact]
    public void Tls_required_must_be_on_or_off()
    {
        using var certificate = TestCertificate.Create();
        AssertRejected($"tls {{ certificate = \"{certificate.Pfx}\", password = \"{TestCertificate.PfxPassword}\", required = maybe }}",
            "router.smtp.tls.required", "expected on or off");
    }

    [Fact]
    public void Users_load_with_their_hashes_and_names_with_dots_need_quotes()
    {
        var auth = Options($"auth.users {{ alice = \"{AliceHash}\", \"bob@corp.example\" = \"{AliceHash}\" }}").Smtp.Auth;

        Assert.True(auth.Enabled);
        Assert.Equal(["alice", "bob@corp.example"], auth.Users.Keys.Order());
        Assert.True(auth.Users["bob@corp.example"].Verify("secret"));
    }

    [Theory]
    [InlineData("secret", "never a plain password")]
    [InlineData("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==", "at least 10000")]
    [InlineData("pbkdf2-sha256$600000$not base64$aGFzaGhhc2hoYXNoaGFzaA==", "must be base64")]
    [InlineData("bcrypt$10$abc$def", "never a plain password")]
    public void A_bad_hash_names_the_user_and_does_not_echo_it(string hash, string problem)
    {
        AssertRejected($"auth.users {{ alice = \"{hash}\" }}", "router.smtp.auth.users.alice", problem);
        var error = Assert.Throws<RouterConfigException>(() => Options($"auth.users {{ alice = \"{hash}\" }}"));
        Assert.DoesNotContain(hash, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth.max-failures = 0", "router.smtp.auth.max-failures")]
    [InlineData("auth.max-failures-per-client = 0", "router.smtp.auth.max-failures-per-client")]
    [InlineData("auth.failure-window = 0s", "router.smtp.auth.failure-window")]
    [InlineData("auth.allow-insecure = sometimes", "router.smtp.auth.allow-insecure")]
    public void Bad_auth_limits_are_named(string smtp, string key)
    {
        var error = Assert.Throws<RouterConfigException>(() => Options(smtp));
        Assert.Equal(key, error.Key);
    }
}
