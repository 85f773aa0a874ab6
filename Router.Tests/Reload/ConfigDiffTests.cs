using Router.Actors.Configuration;
using Xunit;

namespace Router.Tests.Reload;

/// <summary>What a reload would change: live keys, restart-only keys, firewalls and connectors added, removed, changed.</summary>
public sealed class ConfigDiffTests
{
    private const string Base = """
        router {
          node-name = "n1"
          spool.path = "data/spool"
          smtp { listen = ["127.0.0.1:2525"], max-recipients = 500 }
          firewall-defaults { connect-timeout = 5s }
          firewalls {
            fw-a { host = "127.0.0.1", port = 2601 }
            fw-b { host = "127.0.0.1", port = 2602 }
          }
          connectors {
            out-a { address-spaces = ["*;1"], firewalls = [fw-a] }
            out-b { address-spaces = ["*;1"], firewalls = [fw-b] }
          }
        }
        """;

    private static RouterOptions Options(string hocon) => RouterConfig.ToOptions(RouterConfig.Parse(hocon));

    private static ConfigDiff Diff(string before, string after) => ConfigDiff.Between(Options(before), Options(after));

    [Fact]
    public void The_same_file_differs_in_nothing()
    {
        var diff = Diff(Base, Base);
        Assert.True(diff.Empty);
        Assert.Empty(diff.RestartOnly);
        Assert.Equal("no key changed", diff.Summary());
    }

    [Fact]
    public void Firewalls_and_connectors_added_removed_and_changed_are_live_and_named()
    {
        var after = Base
            .Replace("fw-b { host = \"127.0.0.1\", port = 2602 }", "fw-c { host = \"127.0.0.1\", port = 2603 }")
            .Replace("fw-a { host = \"127.0.0.1\", port = 2601 }", "fw-a { host = \"127.0.0.1\", port = 2611 }")
            .Replace("out-b { address-spaces = [\"*;1\"], firewalls = [fw-b] }", "out-c { address-spaces = [\"*;1\"], firewalls = [fw-c] }")
            .Replace("out-a { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "out-a { address-spaces = [\"*;2\"], firewalls = [fw-a] }");
        var diff = Diff(Base, after);

        Assert.Empty(diff.RestartOnly);
        Assert.Equal(["fw-c"], diff.FirewallsAdded);
        Assert.Equal(["fw-b"], diff.FirewallsRemoved);
        Assert.Equal(["fw-a"], diff.FirewallsChanged);
        Assert.Equal(["out-c"], diff.ConnectorsAdded);
        Assert.Equal(["out-b"], diff.ConnectorsRemoved);
        Assert.Equal(["out-a"], diff.ConnectorsChanged);
        Assert.Contains("router.firewalls.fw-a.port", diff.ChangedKeys);
    }

    [Fact]
    public void A_changed_firewall_default_changes_every_firewall_that_inherits_it()
    {
        var diff = Diff(Base, Base.Replace("connect-timeout = 5s", "connect-timeout = 2s"));
        Assert.Empty(diff.RestartOnly);
        Assert.Equal(["fw-a", "fw-b"], diff.FirewallsChanged);
        Assert.Empty(diff.ConnectorsChanged);
    }

    [Theory]
    [InlineData("spool.path = \"data/spool\"", "spool.path = \"data/other\"", "router.spool.path")]
    [InlineData("listen = [\"127.0.0.1:2525\"]", "listen = [\"127.0.0.1:2526\"]", "router.smtp.listen")]
    [InlineData("node-name = \"n1\"", "node-name = \"n2\"", "router.node-name")]
    [InlineData("node-name = \"n1\"", "node-name = \"n1\"\n cluster.seed-nodes = [\"akka.tcp://router@10.0.0.1:4053\"]", "router.cluster.seed-nodes")]
    [InlineData("node-name = \"n1\"", "node-name = \"n1\"\n admin.listen = \"127.0.0.1:9111\"", "router.admin.listen")]
    [InlineData("node-name = \"n1\"", "node-name = \"n1\"\n warm-up.messages = 10", "router.warm-up.messages")]
    public void A_restart_only_key_is_named_with_the_reason(string from, string to, string key)
    {
        var diff = Diff(Base, Base.Replace(from, to));
        var change = Assert.Single(diff.RestartOnly);
        Assert.Equal(key, change.Key);
        Assert.Contains("a restart is needed", change.Reason);
    }

    [Fact]
    public void Smtp_limits_relay_networks_and_the_retry_schedule_are_live()
    {
        var diff = Diff(Base, Base.Replace("max-recipients = 500", "max-recipients = 200, relay.allowed-networks = [\"10.0.0.0/8\"]")
            .Replace("node-name = \"n1\"", "node-name = \"n1\"\n retry.schedule = [30s]"));
        Assert.Empty(diff.RestartOnly);
        Assert.Contains("router.smtp.max-recipients", diff.ChangedKeys);
        Assert.Contains("router.retry.schedule", diff.ChangedKeys);
    }

    [Fact]
    public void Raising_max_message_size_above_the_start_value_needs_a_restart_lowering_it_does_not()
    {
        var lower = Base.Replace("max-recipients = 500", "max-recipients = 500, max-message-size = 1000000");
        Assert.Empty(Diff(Base, lower).RestartOnly);
        var higher = Base.Replace("max-recipients = 500", "max-recipients = 500, max-message-size = 99000000");
        Assert.Equal("router.smtp.max-message-size", Assert.Single(Diff(Base, higher).RestartOnly).Key);
    }

    [Fact]
    public void The_routing_hash_ignores_formatting_and_follows_the_firewall_and_connector_sections()
    {
        var reformatted = Options(Base.Replace("fw-a { host = \"127.0.0.1\", port = 2601 }", "fw-a {\n host = \"127.0.0.1\"\n port = 2601\n }"));
        Assert.Equal(LoadedConfig.RoutingHashOf(Options(Base)), LoadedConfig.RoutingHashOf(reformatted));
        Assert.NotEqual(LoadedConfig.RoutingHashOf(Options(Base)), LoadedConfig.RoutingHashOf(Options(Base.Replace("port = 2601", "port = 2699"))));
        Assert.Equal(LoadedConfig.RoutingHashOf(Options(Base)), LoadedConfig.RoutingHashOf(Options(Base.Replace("max-recipients = 500", "max-recipients = 400"))));
    }
}
