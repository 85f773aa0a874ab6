using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary><c>router.shadow*</c>: preferred in a cluster by default, off alone, each bad value rejected naming its key.</summary>
public sealed class ShadowConfigTests
{
    private static RouterOptions Read(string shadow, bool clustered = true) =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith(
            $"router {{ cluster.enabled = {(clustered ? "on" : "off")}\n{shadow} }}")));

    private static void Rejects(string shadow, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Read(shadow));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_defaults_to_preferred_with_a_5_second_timeout_and_a_node_alone_to_off()
    {
        var clustered = Read(string.Empty).Shadow;
        Assert.Equal(ShadowMode.Preferred, clustered.Mode);
        Assert.Equal(TimeSpan.FromSeconds(5), clustered.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), clustered.PromoteAfter);
        Assert.Equal(ShadowOptions.DefaultDeliverFirst, clustered.DeliverFirst);
        Assert.Equal(ShadowMode.Off, Read(string.Empty, clustered: false).Shadow.Mode);
        Assert.Equal(ShadowMode.Off, Read("shadow = required", clustered: false).Shadow.Mode);
    }

    [Fact]
    public void The_shadow_keys_are_read()
    {
        var shadow = Read("shadow = required\nshadow-timeout = 750ms\nshadow-promote-after = 2m\nshadow-deliver-first = 0s").Shadow;
        Assert.Equal(ShadowMode.Required, shadow.Mode);
        Assert.Equal(TimeSpan.FromMilliseconds(750), shadow.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(2), shadow.PromoteAfter);
        Assert.Equal(TimeSpan.Zero, shadow.DeliverFirst);
        Assert.Equal(TimeSpan.FromMilliseconds(250), Read("shadow-deliver-first = 250ms").Shadow.DeliverFirst);
        Assert.Equal(ShadowMode.Off, Read("shadow = off").Shadow.Mode);
    }

    [Fact]
    public void An_unknown_mode_is_rejected() =>
        Rejects("shadow = always", "router.shadow", "expected off, preferred or required");

    [Fact]
    public void A_zero_timeout_is_rejected() =>
        Rejects("shadow-timeout = 0s", "router.shadow-timeout", "outside");

    [Theory]
    [InlineData("-1s")]
    [InlineData("31s")]
    public void A_deliver_first_wait_outside_0_to_30_seconds_is_rejected(string wait) =>
        Rejects($"shadow-deliver-first = {wait}", "router.shadow-deliver-first", "outside 0-30s");

    [Fact]
    public void A_negative_promotion_delay_is_rejected() =>
        Rejects("shadow-promote-after = -1s", "router.shadow-promote-after", "must not be negative");
}
