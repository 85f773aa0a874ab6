using Router.Actors.Configuration;
using Router.Actors.Health.Latency;

namespace Router.Tests.Configuration;

/// <summary>The latency detector's keys (issue 18): defaults, inheritance from firewall-defaults, and errors naming the key.</summary>
public sealed class FirewallDetectorConfigTests
{
    private static string Config(string defaults, string firewall) => $$"""
        router {
          firewall-defaults { {{defaults}} }
          firewalls { fw-a { host = "127.0.0.1", {{firewall}} } }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """;

    private static LatencyPolicy Read(string defaults, string firewall) =>
        RouterConfig.ToOptions(RouterConfig.Parse(Config(defaults, firewall))).Firewalls.Single().Latency;

    [Fact]
    public void Defaults_are_the_reference_policy()
    {
        Assert.Equal(LatencyPolicy.Default, Read(string.Empty, string.Empty));
    }

    [Fact]
    public void A_firewall_inherits_and_overrides_the_defaults()
    {
        var policy = Read("detector-min-samples = 10, detector-acceptable-pause = 1s", "detector-phi-threshold = 4.5, detector-window = 50");

        Assert.Equal(new LatencyPolicy(4.5, 10, 50, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)), policy);
    }

    [Theory]
    [InlineData("detector-phi-threshold = 0", "router.firewalls.fw-a.detector-phi-threshold", "not a number from 1 to 30")]
    [InlineData("detector-phi-threshold = lots", "router.firewalls.fw-a.detector-phi-threshold", "not a number from 1 to 30")]
    [InlineData("detector-min-samples = 1", "router.firewalls.fw-a.detector-min-samples", "less than 2")]
    [InlineData("detector-window = 5", "router.firewalls.fw-a.detector-window", "less than detector-min-samples 20")]
    [InlineData("detector-min-deviation = 0s", "router.firewalls.fw-a.detector-min-deviation", "")]
    [InlineData("detector-acceptable-pause = -1s", "router.firewalls.fw-a.detector-acceptable-pause", "must not be negative")]
    public void A_bad_value_is_an_error_naming_the_key(string setting, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse(Config(string.Empty, setting))));

        Assert.Contains(key, error.Message);
        Assert.Contains(problem, error.Message);
    }
}
