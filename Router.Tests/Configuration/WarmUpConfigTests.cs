using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary><c>router.warm-up</c>: on by default with 1000 messages, every key settable, 0 turns it off, bad values rejected naming the key.</summary>
public sealed class WarmUpConfigTests
{
    private static RouterOptions Load(string warmUp) => RouterConfig.ToOptions(RouterConfig.Parse($$"""
        router {
          {{warmUp}}
          firewalls { fw-a { host = "127.0.0.1" } }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """));

    [Fact]
    public void By_default_a_node_warms_up_with_1000_messages_over_10_sessions()
    {
        var warmUp = Load(string.Empty).WarmUp;

        Assert.True(warmUp.Enabled);
        Assert.Equal(new WarmUpOptions(), warmUp);
        Assert.Equal((1000, 10, TimeSpan.FromSeconds(30)), (warmUp.Messages, warmUp.Sessions, warmUp.MaxTime));
    }

    [Fact]
    public void Every_key_can_be_set_and_0_messages_is_off()
    {
        Assert.Equal(new WarmUpOptions { Messages = 250, Sessions = 4, MaxTime = TimeSpan.FromSeconds(5) },
            Load("warm-up { messages = 250, sessions = 4, max-time = 5s }").WarmUp);
        Assert.False(Load("warm-up.messages = 0").WarmUp.Enabled);
    }

    [Theory]
    [InlineData("messages = -1", "router.warm-up.messages", "expected a whole number from 0 to 100000")]
    [InlineData("messages = many", "router.warm-up.messages", "expected a whole number from 0 to 100000")]
    [InlineData("sessions = 0", "router.warm-up.sessions", "expected a whole number from 1 to 100")]
    [InlineData("max-time = 0s", "router.warm-up.max-time", "must be greater than zero")]
    [InlineData("message = 10", "router.warm-up.message", "unknown key")]
    public void A_bad_value_is_rejected_naming_its_key(string setting, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Load($"warm-up {{ {setting} }}"));

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
