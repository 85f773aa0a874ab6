using Router.Actors.Configuration;
using Router.Actors.Routing;

namespace Router.Tests.Configuration;

/// <summary>Issue 20: a connector's fallback, max-message-size, senders and reject-senders, over router.connector-defaults.</summary>
public sealed class ConnectorPolicyConfigTests
{
    private static RouterOptions Options(string connectors, string defaults = "") =>
        RouterConfig.ToOptions(RouterConfig.Parse($$"""
            router {
              {{defaults}}
              firewalls { fw-a { host = "127.0.0.1" } }
              connectors { {{connectors}} }
            }
            """));

    private static RouterConfigException Reject(string connectors, string defaults = "") =>
        Assert.Throws<RouterConfigException>(() => Options(connectors, defaults));

    [Fact]
    public void Without_any_key_a_connector_is_pinned_and_unrestricted()
    {
        var policy = Options("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }").Connectors.Single().Policy;

        Assert.Equal((false, null, 0, 0), (policy.Fallback, policy.MaxMessageSize, policy.Senders.Count, policy.RejectSenders.Count));
    }

    [Fact]
    public void Every_key_is_read_and_a_connector_block_wins_over_the_defaults()
    {
        var options = Options("""
            a { address-spaces = ["*;1"], firewalls = [fw-a], max-message-size = 10 MiB, senders = ["corp.example", "<>"], reject-senders = ["bad@corp.example"], tls = verify }
            b { address-spaces = ["*;2"], firewalls = [fw-a], fallback = off, max-message-size = unlimited }
            """, "connector-defaults { fallback = on, max-message-size = 1 MiB, tls = required }");

        var a = options.Connectors[0].Policy;
        var b = options.Connectors[1].Policy;
        Assert.True(a.Fallback);
        Assert.Equal(10L * 1024 * 1024, a.MaxMessageSize);
        Assert.Equal(["corp.example", "<>"], a.Senders.Select(p => p.Text));
        Assert.Equal(["bad@corp.example"], a.RejectSenders.Select(p => p.Text));
        Assert.Equal(Router.Messages.Delivery.RouteTls.Verify, a.Tls);
        Assert.False(b.Fallback);
        Assert.Null(b.MaxMessageSize);
        Assert.Equal(Router.Messages.Delivery.RouteTls.Required, b.Tls);
    }

    [Theory]
    [InlineData("fallback = maybe", "router.connectors.out.fallback", "expected on or off")]
    [InlineData("max-message-size = 0", "router.connectors.out.max-message-size", "must be greater than zero")]
    [InlineData("max-message-size = lots", "router.connectors.out.max-message-size", "expected a size in bytes")]
    [InlineData("senders = [\"*@corp.example\"]", "router.connectors.out.senders[0]", "wildcard in the local part")]
    [InlineData("reject-senders = [\"ok.example\", \"bad domain\"]", "router.connectors.out.reject-senders[1]", "bad domain")]
    [InlineData("senders = \"corp.example\"", "router.connectors.out.senders", "expected a list")]
    [InlineData("fallbak = on", "router.connectors.out.fallbak", "unknown key")]
    [InlineData("tls = opportunistic", "router.connectors.out.tls", "expected off, required or verify")]
    public void A_bad_value_is_refused_naming_the_key(string keys, string key, string problem)
    {
        var error = Reject($"out {{ address-spaces = [\"*;1\"], firewalls = [fw-a], {keys} }}");

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_default_is_refused_naming_the_defaults_key()
    {
        var error = Reject("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "connector-defaults { address-spaces = [\"*;1\"] }");

        Assert.Equal("router.connector-defaults.address-spaces", error.Key);
    }

    [Fact]
    public void The_built_table_carries_each_connectors_policy()
    {
        var table = Options("""
            partner { address-spaces = ["partner.example;1"], firewalls = [fw-a], max-message-size = 1 KiB }
            out { address-spaces = ["*;1"], firewalls = [fw-a] }
            """).BuildAddressSpaceTable();

        Assert.Equal("partner", Assert.Single(Assert.Single(table.Resolve("partner.example", "a@corp.example", 1024, out _)).ConnectorIds));
        Assert.Equal("out", Assert.Single(Assert.Single(table.Resolve("partner.example", "a@corp.example", 1025, out _)).ConnectorIds));
    }

    private static RouterOptions FirewallOptions(string keys, string defaults = "") =>
        RouterConfig.ToOptions(RouterConfig.Parse($$"""
            router {
              firewall-defaults { {{defaults}} }
              firewalls { fw-a { host = "127.0.0.1", {{keys}} } }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            }
            """));

    [Fact]
    public void A_firewalls_share_and_limits_default_to_weight_1_and_unlimited_and_are_read_over_the_defaults()
    {
        var plain = RouterConfig.ToOptions(RouterConfig.Parse("""
            router {
              firewalls { fw-a { host = "127.0.0.1" } }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            }
            """)).Firewalls.Single();
        Assert.Equal((1, null, null, null), (plain.Weight, plain.MaxMessagesPerConnection, plain.MaxMessageRate, plain.MaxConnectionRate));

        var set = FirewallOptions("weight = 3, max-messages-per-connection = 100, max-message-rate = 600/m", "max-connection-rate = 5/s, max-message-rate = 1/s").Firewalls.Single();
        Assert.Equal(3, set.Weight);
        Assert.Equal(100, set.MaxMessagesPerConnection);
        Assert.Equal(10.0, set.MaxMessageRate!.PerSecond);
        Assert.Equal(5.0, set.MaxConnectionRate!.PerSecond);
        Assert.Null(FirewallOptions("max-message-rate = unlimited", "max-message-rate = 1/s").Firewalls.Single().MaxMessageRate);
    }

    [Fact]
    public void Min_connections_per_node_defaults_to_1_and_is_read_over_the_defaults()
    {
        Assert.Equal(1, FirewallOptions("port = 25").Firewalls.Single().MinConnectionsPerNode);
        Assert.Equal(2, FirewallOptions("port = 25", "min-connections-per-node = 2").Firewalls.Single().MinConnectionsPerNode);
        Assert.Equal(3, FirewallOptions("min-connections-per-node = 3", "min-connections-per-node = 2").Firewalls.Single().MinConnectionsPerNode);
    }

    [Theory]
    [InlineData("weight = 0", "router.firewalls.fw-a.weight", "must be at least 1")]
    [InlineData("weight = 1001", "router.firewalls.fw-a.weight", "out of range 1-1000")]
    [InlineData("max-messages-per-connection = 0", "router.firewalls.fw-a.max-messages-per-connection", "must be at least 1")]
    [InlineData("max-message-rate = 50", "router.firewalls.fw-a.max-message-rate", "expected a rate such as 50/s")]
    [InlineData("max-connection-rate = \"0/s\"", "router.firewalls.fw-a.max-connection-rate", "must be greater than zero")]
    [InlineData("min-connections-per-node = 0", "router.firewalls.fw-a.min-connections-per-node", "must be at least 1")]
    [InlineData("max-connections = 4, min-connections-per-node = 5", "router.firewalls.fw-a.min-connections-per-node", "5 is more than max-connections 4")]
    public void A_bad_firewall_limit_is_refused_naming_the_key(string keys, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => FirewallOptions(keys));

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
