using System.Net;
using Router.Actors.Configuration;
using Router.Tests.Configuration;

namespace Router.Tests.Admin;

/// <summary>router.admin: defaults, the token rule and validation that names the key.</summary>
public sealed class AdminConfigTests
{
    private const string Token = "a-long-enough-admin-token";

    private static AdminOptions Admin(string extra) => RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith(extra))).Admin;

    private static RouterConfigException Reject(string extra) =>
        Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith(extra))));

    [Fact]
    public void Defaults_are_on_at_loopback_9110_without_a_token_and_match_the_record()
    {
        var admin = Admin(string.Empty);

        Assert.Equal(new AdminOptions(), admin);
        Assert.True(admin.Enabled);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9110"), admin.Listen);
        Assert.Null(admin.Token);
    }

    [Fact]
    public void The_shipped_router_conf_states_the_same_admin_defaults()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "hocon", "router.conf");
            if (File.Exists(path))
            {
                Assert.Equal(new AdminOptions(), RouterConfig.ToOptions(RouterConfig.Load(path)).Admin);
                return;
            }
        }
        Assert.Fail("hocon/router.conf not found");
    }

    [Fact]
    public void A_non_loopback_listen_address_without_a_token_is_refused_naming_the_token_key()
    {
        var error = Reject("""router.admin.listen = "0.0.0.0:9110" """);

        Assert.Equal("router.admin.token", error.Key);
        Assert.Contains("is required when router.admin.listen (0.0.0.0:9110) is not a loopback address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_loopback_listen_address_with_a_token_is_accepted()
    {
        var admin = Admin($$"""router.admin { listen = "0.0.0.0:0", token = "{{Token}}" }""");

        Assert.Equal(IPEndPoint.Parse("0.0.0.0:0"), admin.Listen);
        Assert.Equal(Token, admin.Token);
    }

    [Fact]
    public void A_disabled_endpoint_needs_no_token_wherever_it_would_listen()
    {
        var admin = Admin("""router.admin { enabled = off, listen = "0.0.0.0:9110" }""");

        Assert.False(admin.Enabled);
    }

    [Theory]
    [InlineData("""router.admin.listen = "127.0.0.1" """, "router.admin.listen", "is not an address and port")]
    [InlineData("""router.admin.listen = "localhost:9110" """, "router.admin.listen", "is not an address and port")]
    [InlineData("""router.admin.token = "short" """, "router.admin.token", "at least 16 characters")]
    [InlineData("""router.admin.enabled = maybe""", "router.admin.enabled", "expected on or off")]
    public void Bad_values_are_refused_naming_the_key(string extra, string key, string problem)
    {
        var error = Reject(extra);

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
