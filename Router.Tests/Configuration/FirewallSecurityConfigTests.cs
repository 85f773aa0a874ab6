using Router.Actors.Configuration;
using Router.Testing.Tls;
using Xunit;

namespace Router.Tests.Configuration;

/// <summary>The TLS and AUTH keys of firewall blocks and firewall-defaults: values, inheritance, secrets, rejections.</summary>
public sealed class FirewallSecurityConfigTests : IDisposable
{
    private readonly List<string> _files = [];

    private static string Config(string firewalls, string defaults = "") => $$"""
        router {
          firewall-defaults { {{defaults}} }
          firewalls {
            {{firewalls}}
          }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """;

    private static FirewallOptions FwA(string firewalls, string defaults = "") =>
        RouterConfig.ToOptions(RouterConfig.Parse(Config(firewalls, defaults))).Firewalls.Single(f => f.Id == "fw-a");

    private static RouterConfigException Reject(string firewalls, string defaults = "")
    {
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse(Config(firewalls, defaults))));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private string SecretFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"router-secret-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        _files.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }

    [Fact]
    public void By_default_tls_is_opportunistic_and_there_is_no_auth()
    {
        var fw = FwA("fw-a { host = \"127.0.0.1\" }");

        Assert.Equal(FirewallTls.Opportunistic, fw.Tls);
        Assert.Null(fw.Auth);
        Assert.False(fw.AuthAllowInsecure);
        Assert.Null(fw.TlsTrustAnchors);
        Assert.Null(fw.TlsServerName);
    }

    [Theory]
    [InlineData("none", FirewallTls.None)]
    [InlineData("opportunistic", FirewallTls.Opportunistic)]
    [InlineData("required", FirewallTls.Required)]
    [InlineData("verify", FirewallTls.Verify)]
    public void Each_tls_mode_is_read(string text, FirewallTls mode)
    {
        Assert.Equal(mode, FwA($"fw-a {{ host = \"127.0.0.1\", tls = {text} }}").Tls);
    }

    [Fact]
    public void A_firewall_overrides_the_tls_of_firewall_defaults()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse(Config(
            "fw-a { host = \"127.0.0.1\" }\nfw-b { host = \"127.0.0.1\", tls = none }", "tls = required")));

        Assert.Equal(FirewallTls.Required, options.Firewalls.Single(f => f.Id == "fw-a").Tls);
        Assert.Equal(FirewallTls.None, options.Firewalls.Single(f => f.Id == "fw-b").Tls);
    }

    [Fact]
    public void Verify_loads_the_pinned_ca_and_the_server_name()
    {
        using var ca = TestCertificates.CreateCa("Config CA");
        var pem = TestCertificates.WritePem(ca);
        _files.Add(pem);

        var fw = FwA($"fw-a {{ host = \"10.0.0.5\", tls = verify, tls-ca-file = \"{pem}\", tls-server-name = \"FW-A.Example\" }}");

        Assert.Equal(FirewallTls.Verify, fw.Tls);
        Assert.Equal(ca.Thumbprint, Assert.Single(fw.TlsTrustAnchors!).Thumbprint);
        Assert.Equal("fw-a.example", fw.TlsServerName);
    }

    [Fact]
    public void The_auth_block_reads_the_password_from_a_file_without_its_line_end_and_never_shows_it()
    {
        var file = SecretFile("pa55 word\n");

        var fw = FwA($"fw-a {{ host = \"127.0.0.1\", auth {{ user = \"relay@corp.example\", password-file = \"{file}\" }} }}");

        Assert.Equal("relay@corp.example", fw.Auth!.User);
        Assert.Equal("pa55 word", fw.Auth.Password);
        Assert.DoesNotContain("pa55", fw.Auth.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", fw.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_flat_keys_read_the_password_from_an_environment_variable()
    {
        var variable = $"ROUTER_TEST_SECRET_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "from-env");
        try
        {
            var fw = FwA($"fw-a {{ host = \"127.0.0.1\", auth-user = relay, auth-password-env = {variable}, auth-allow-insecure = on }}");

            Assert.Equal(("relay", "from-env"), (fw.Auth!.User, fw.Auth.Password));
            Assert.True(fw.AuthAllowInsecure);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Credentials_in_firewall_defaults_apply_to_every_firewall_unless_it_turns_auth_off()
    {
        var file = SecretFile("x");
        var options = RouterConfig.ToOptions(RouterConfig.Parse(Config(
            "fw-a { host = \"127.0.0.1\" }\nfw-b { host = \"127.0.0.1\", auth = off }",
            $"auth {{ user = relay, password-file = \"{file}\" }}")));

        Assert.Equal("relay", options.Firewalls.Single(f => f.Id == "fw-a").Auth?.User);
        Assert.Null(options.Firewalls.Single(f => f.Id == "fw-b").Auth);
    }

    [Fact]
    public void An_unknown_tls_mode_is_rejected()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", tls = yes }");

        Assert.Equal("router.firewalls.fw-a.tls", error.Key);
        Assert.Contains("none, opportunistic, required or verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_in_the_configuration_is_refused()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth { user = relay, password = \"plain\" } }");

        Assert.Equal("router.firewalls.fw-a.auth.password", error.Key);
        Assert.Contains("password-file or password-env", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flat_plain_password_is_an_unknown_key()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth-password = \"plain\" }");

        Assert.Equal("router.firewalls.fw-a.auth-password", error.Key);
    }

    [Fact]
    public void A_missing_password_file_is_rejected_at_start_up()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth { user = relay, password-file = \"/nonexistent/router/secret\" } }");

        Assert.Equal("router.firewalls.fw-a.auth.password-file", error.Key);
        Assert.Contains("cannot read the password file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unset_password_variable_is_rejected_at_start_up()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth-user = relay, auth-password-env = ROUTER_TEST_UNSET_VARIABLE_42 }");

        Assert.Equal("router.firewalls.fw-a.auth-password-env", error.Key);
    }

    [Fact]
    public void A_user_without_a_password_source_is_rejected()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth-user = relay }");

        Assert.Equal("router.firewalls.fw-a.auth-password-file", error.Key);
    }

    [Fact]
    public void Auth_block_and_flat_keys_together_are_rejected()
    {
        var file = SecretFile("x");
        // Akka's HOCON parser refuses a comma after an object block: one key per line.
        var error = Reject($"fw-a {{\n host = \"127.0.0.1\"\n auth {{ user = a, password-file = \"{file}\" }}\n auth-user = b\n }}");

        Assert.Equal("router.firewalls.fw-a.auth-user", error.Key);
    }

    [Fact]
    public void Credentials_with_tls_none_need_auth_allow_insecure()
    {
        var file = SecretFile("x");
        var error = Reject($"fw-a {{ host = \"127.0.0.1\", tls = none, auth {{ user = a, password-file = \"{file}\" }} }}");

        Assert.Equal("router.firewalls.fw-a.auth", error.Key);
        Assert.Contains("auth-allow-insecure", error.Message, StringComparison.Ordinal);

        Assert.True(FwA($"fw-a {{ host = \"127.0.0.1\", tls = none, auth-allow-insecure = on, auth {{ user = a, password-file = \"{file}\" }} }}").AuthAllowInsecure);
    }

    [Fact]
    public void A_ca_file_without_tls_verify_is_rejected()
    {
        using var ca = TestCertificates.CreateCa("Config CA");
        var pem = TestCertificates.WritePem(ca);
        _files.Add(pem);

        var error = Reject($"fw-a {{ host = \"127.0.0.1\", tls = required, tls-ca-file = \"{pem}\" }}");

        Assert.Equal("router.firewalls.fw-a.tls-ca-file", error.Key);
        Assert.Contains("only used with tls = verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_without_certificates_is_rejected()
    {
        var file = SecretFile("not a certificate\n");

        var error = Reject($"fw-a {{ host = \"127.0.0.1\", tls = verify, tls-ca-file = \"{file}\" }}");

        Assert.Equal("router.firewalls.fw-a.tls-ca-file", error.Key);
        Assert.Contains("holds no PEM certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_auth_allow_insecure_value_is_rejected()
    {
        var error = Reject("fw-a { host = \"127.0.0.1\", auth-allow-insecure = maybe }");

        Assert.Equal("router.firewalls.fw-a.auth-allow-insecure", error.Key);
    }
}
