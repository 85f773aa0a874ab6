using Router.Actors.Configuration;
using Xunit;

namespace Router.Tests.Configuration;

/// <summary>Every problem of a file is reported at once, one line each, the first as a single problem would read.</summary>
public sealed class RouterConfigErrorCollectionTests
{
    private static RouterConfigException Reject(string hocon) =>
        Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse(hocon)));

    [Fact]
    public void Two_errors_in_separate_sections_are_both_reported_one_per_line()
    {
        const string recipients = "router.smtp.max-recipients = 10";
        const string port = "router.firewalls.fw-a.port = 70000";
        var alone = Reject(ConfigSamples.MinimalWith(recipients));

        var error = Reject(ConfigSamples.MinimalWith(recipients + "\n" + port));

        Assert.Equal(
            [
                alone.Message,
                "router.firewalls.fw-a.port: 70000 is out of range 1-65535",
            ],
            error.Message.Split('\n'));
        Assert.Equal("router.smtp.max-recipients", error.Key);
        Assert.Equal(["router.smtp.max-recipients", "router.firewalls.fw-a.port"], error.Errors.Select(e => e.Key));
    }

    [Fact]
    public void Two_errors_in_one_firewall_block_are_both_reported()
    {
        var error = Reject("""
            router {
              firewalls { fw-a { host = "127.0.0.1", port = 0, connect-timeout = soon } }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            }
            """);

        Assert.Equal(["router.firewalls.fw-a.port", "router.firewalls.fw-a.connect-timeout"], error.Errors.Select(e => e.Key));
        Assert.Equal(2, error.Message.Split('\n').Length);
        Assert.All(error.Message.Split('\n'), line => Assert.Matches("^router\\.firewalls\\.fw-a\\.[a-z-]+: ", line));
    }

    [Fact]
    public void Errors_in_several_connectors_and_list_items_are_all_reported_in_file_order()
    {
        var error = Reject("""
            router {
              firewalls { fw-a { host = "127.0.0.1" } }
              connectors {
                one { address-spaces = ["*;0"], firewalls = [fw-a] }
                two { address-spaces = ["*;1", "a.*.example;1"], firewalls = [fw-a, fw-z] }
              }
            }
            """);

        Assert.Equal(
            [
                "router.connectors.one.address-spaces[0]",
                "router.connectors.two.address-spaces[1]",
                "router.connectors.two.firewalls[1]",
            ],
            error.Errors.Select(e => e.Key));
    }

    [Fact]
    public void A_firewall_with_an_error_is_still_known_to_the_connectors_that_name_it()
    {
        var error = Reject("""
            router {
              firewalls { fw-a { host = "127.0.0.1", port = -1 } }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            }
            """);

        Assert.Equal("router.firewalls.fw-a.port", Assert.Single(error.Errors).Key);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_check_between_two_keys_is_skipped_when_one_of_them_is_itself_wrong()
    {
        var error = Reject(ConfigSamples.MinimalWith("""
            router.smtp.data-timeout = never
            router.smtp.data-total-timeout = 1s
            """));

        Assert.Equal("router.smtp.data-timeout", Assert.Single(error.Errors).Key);
    }

    [Fact]
    public void A_key_set_to_null_takes_the_reference_default()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith("""
            router.smtp.max-recipients = null
            router.firewall-defaults.port = null
            router.retry.expire-after = null
            """)));

        Assert.Equal(500, options.Smtp.MaxRecipients);
        Assert.Equal(25, options.Firewalls[0].Port);
        Assert.Equal(TimeSpan.FromDays(2), options.Delivery.Retry.ExpireAfter);
    }

    [Fact]
    public void A_single_error_is_one_line_naming_its_key()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.admin.listen = \"0.0.0.0:9110\""));

        Assert.Equal("router.admin.token", error.Key);
        Assert.Equal([new RouterConfigError("router.admin.token", "is required when router.admin.listen (0.0.0.0:9110) is not a loopback address")], error.Errors);
        Assert.Equal("router.admin.token: is required when router.admin.listen (0.0.0.0:9110) is not a loopback address", error.Message);
    }
}
