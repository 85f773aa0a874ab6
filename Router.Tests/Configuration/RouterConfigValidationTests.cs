using Router.Actors.Configuration;
using Xunit;

namespace Router.Tests.Configuration;

/// <summary>
/// One test per rejected configuration: each checks that the one-line message starts with the offending key.
/// One file of ~420 lines on purpose: it is a flat catalogue of small cases, one per rule, easiest to scan together.
/// </summary>
public sealed class RouterConfigValidationTests
{
    private static RouterConfigException Reject(string hocon)
    {
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse(hocon)));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private static void AssertNames(RouterConfigException error, string key, string problem)
    {
        Assert.Equal(key, error.Key);
        Assert.StartsWith($"{key}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    private static string WithConnectors(string connectors, string firewalls = "fw-a { host = \"127.0.0.1\" }\nfw-b { host = \"127.0.0.1\" }") => $$"""
        router {
          firewalls { {{firewalls}} }
          connectors { {{connectors}} }
        }
        """;

    [Fact]
    public void Unknown_firewall_in_a_connector()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a, fw-c] }"));

        AssertNames(error, "router.connectors.out.firewalls[1]", "unknown firewall \"fw-c\"");
    }

    [Fact]
    public void Cost_out_of_range()
    {
        var error = Reject(WithConnectors("partner { address-spaces = [\"partner.example;1\", \"*.partner.example;0\"], firewalls = [fw-a] }"));

        Assert.Equal("router.connectors.partner.address-spaces[1]: cost 0 is out of range 1-100", error.Message);
    }

    [Fact]
    public void Cost_above_range()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;101\"], firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces[0]", "cost 101 is out of range 1-100");
    }

    [Fact]
    public void Bad_address_space_pattern()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"a.*.example;1\"], firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces[0]", "'*'");
    }

    [Fact]
    public void Address_space_without_cost()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"example.com\"], firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces[0]", "no cost");
    }

    [Fact]
    public void Duplicate_firewall_in_one_connector()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a, fw-b, fw-a] }"));

        AssertNames(error, "router.connectors.out.firewalls[2]", "duplicate firewall \"fw-a\"");
    }

    [Fact]
    public void Duplicate_address_space_pattern_in_one_connector()
    {
        // Normalisation makes these the same pattern.
        var error = Reject(WithConnectors("out { address-spaces = [\"example.com;1\", \"Example.COM.;5\"], firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces[1]", "duplicate pattern \"example.com\"");
    }

    [Fact]
    public void Duplicate_listen_endpoint()
    {
        var error = Reject(ConfigSamples.MinimalWith("""router.smtp.listen = ["127.0.0.1:2525", "127.0.0.1:2526", "127.0.0.1:2525"]"""));

        AssertNames(error, "router.smtp.listen[2]", "duplicate listen endpoint 127.0.0.1:2525");
    }

    [Fact]
    public void Firewall_and_connector_sharing_an_id()
    {
        var error = Reject(WithConnectors("fw-a { address-spaces = [\"*;1\"], firewalls = [fw-b] }"));

        AssertNames(error, "router.connectors.fw-a", "duplicate id");
    }

    [Theory]
    [InlineData("localhost:25")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("::1")]
    [InlineData("")]
    public void Unparsable_listen_address(string listen)
    {
        var error = Reject(ConfigSamples.MinimalWith($"router.smtp.listen = [\"127.0.0.1:2525\", \"{listen}\"]"));

        AssertNames(error, "router.smtp.listen[1]", "is not an address and port");
    }

    [Fact]
    public void Empty_listen_list()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.listen = []"));

        AssertNames(error, "router.smtp.listen", "at least one endpoint");
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("300.0.0.0/8")]
    [InlineData("not-a-network")]
    [InlineData("::1/129")]
    public void Bad_cidr_network(string network)
    {
        var error = Reject(ConfigSamples.MinimalWith($"router.smtp.relay.allowed-networks = [\"127.0.0.0/8\", \"{network}\"]"));

        AssertNames(error, "router.smtp.relay.allowed-networks[1]", "is not a CIDR network");
    }

    [Fact]
    public void Missing_host_on_a_firewall()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { port = 2525 }"));

        AssertNames(error, "router.firewalls.fw-a.host", "is required");
    }

    [Fact]
    public void Empty_host_on_a_firewall()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"\" }"));

        AssertNames(error, "router.firewalls.fw-a.host", "must not be empty");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    public void Port_out_of_range(string port)
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", $"fw-a {{ host = \"127.0.0.1\", port = {port} }}"));

        AssertNames(error, "router.firewalls.fw-a.port", "is out of range 1-65535");
    }

    [Theory]
    [InlineData("connect-timeout", "0s")]
    [InlineData("greeting-timeout", "0")]
    [InlineData("command-timeout", "-5s")]
    [InlineData("tls-handshake-timeout", "0ms")]
    [InlineData("data-timeout", "0m")]
    [InlineData("open-for", "0s")]
    [InlineData("probe-interval", "0s")]
    [InlineData("healthy-probe-interval", "0s")]
    public void Non_positive_firewall_timeout(string option, string value)
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", $"fw-a {{ host = \"127.0.0.1\", {option} = {value} }}"));

        AssertNames(error, $"router.firewalls.fw-a.{option}", "must be greater than zero");
    }

    [Theory]
    [InlineData("router.smtp.session-timeout")]
    [InlineData("router.smtp.command-timeout")]
    [InlineData("router.retry.expire-after")]
    [InlineData("router.firewall-defaults.connect-timeout")]
    public void Non_positive_timeout_outside_a_firewall(string key)
    {
        var error = Reject(ConfigSamples.MinimalWith($"{key} = 0s"));

        AssertNames(error, key, "must be greater than zero");
    }

    [Fact]
    public void Max_open_for_shorter_than_open_for()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"127.0.0.1\", open-for = 1m, max-open-for = 30s }"));

        AssertNames(error, "router.firewalls.fw-a.max-open-for", "shorter than open-for");
    }

    [Fact]
    public void Negative_slow_start()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"127.0.0.1\", slow-start = -1s }"));

        AssertNames(error, "router.firewalls.fw-a.slow-start", "must not be negative");
    }

    [Theory]
    [InlineData("trip-after")]
    [InlineData("max-connections")]
    public void Firewall_count_below_one(string option)
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", $"fw-a {{ host = \"127.0.0.1\", {option} = 0 }}"));

        AssertNames(error, $"router.firewalls.fw-a.{option}", "must be at least 1");
    }

    [Fact]
    public void No_connectors()
    {
        var error = Reject("""router { firewalls { fw-a { host = "127.0.0.1" } } }""");

        AssertNames(error, "router.connectors", "no connectors");
    }

    [Fact]
    public void Empty_connectors_block()
    {
        var error = Reject("""router { firewalls { fw-a { host = "127.0.0.1" } }, connectors {} }""".Replace(", connectors", "\n connectors", StringComparison.Ordinal));

        AssertNames(error, "router.connectors", "no connectors");
    }

    [Fact]
    public void Connector_with_no_firewalls()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [] }"));

        AssertNames(error, "router.connectors.out.firewalls", "at least one firewall");
    }

    [Fact]
    public void Connector_without_a_firewalls_key()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"] }"));

        AssertNames(error, "router.connectors.out.firewalls", "at least one firewall");
    }

    [Fact]
    public void Connector_with_no_address_spaces()
    {
        var error = Reject(WithConnectors("out { address-spaces = [], firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces", "at least one address space");
    }

    [Fact]
    public void Max_recipients_below_the_rfc_minimum()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.max-recipients = 99"));

        AssertNames(error, "router.smtp.max-recipients", "below 100");
    }

    [Theory]
    [InlineData("FW-A")]
    [InlineData("-fw")]
    [InlineData("fw a")]
    [InlineData("fw@a")]
    public void Invalid_firewall_id(string id)
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", $"fw-a {{ host = \"127.0.0.1\" }}\n \"{id}\" {{ host = \"127.0.0.1\" }}"));

        AssertNames(error, $"router.firewalls.{id}", "is not a valid firewall id");
    }

    [Theory]
    [InlineData("Outbound")]
    [InlineData("_out")]
    [InlineData("out/1")]
    public void Invalid_connector_id(string id)
    {
        var error = Reject(WithConnectors($"\"{id}\" {{ address-spaces = [\"*;1\"], firewalls = [fw-a] }}"));

        AssertNames(error, $"router.connectors.{id}", "is not a valid connector id");
    }

    [Fact]
    public void Wrong_type_for_a_number()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.max-recipients = \"many\""));

        Assert.Equal("router.smtp.max-recipients: expected a whole number, got \"many\"", error.Message);
    }

    [Fact]
    public void Wrong_type_for_a_duration()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.firewalls.fw-a.open-for = soon"));

        AssertNames(error, "router.firewalls.fw-a.open-for", "expected a duration");
    }

    [Fact]
    public void Wrong_type_for_a_size()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.max-message-size = huge"));

        AssertNames(error, "router.smtp.max-message-size", "expected a size in bytes");
    }

    [Fact]
    public void A_single_string_where_a_list_is_expected()
    {
        var error = Reject(WithConnectors("out { address-spaces = \"*;1\", firewalls = [fw-a] }"));

        AssertNames(error, "router.connectors.out.address-spaces", "expected a list");
    }

    [Fact]
    public void An_object_where_a_string_is_expected()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.hostname { a = 1 }"));

        AssertNames(error, "router.smtp.hostname", "got an object");
    }

    [Fact]
    public void A_string_where_a_firewall_block_is_expected()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a = \"127.0.0.1\""));

        AssertNames(error, "router.firewalls.fw-a", "expected an object");
    }

    [Fact]
    public void Unknown_key_in_a_firewall_block()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"127.0.0.1\", conect-timeout = 1s }"));

        AssertNames(error, "router.firewalls.fw-a.conect-timeout", "unknown key");
    }

    [Fact]
    public void Unknown_key_in_a_connector_block()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewall = [fw-a] }"));

        AssertNames(error, "router.connectors.out.firewall", "unknown key");
    }

    [Fact]
    public void Invalid_smtp_hostname()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.hostname = \"bad host\""));

        AssertNames(error, "router.smtp.hostname", "is not a valid host name");
    }

    [Fact]
    public void Invalid_helo_name()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"127.0.0.1\", helo-name = \"under_score\" }"));

        AssertNames(error, "router.firewalls.fw-a.helo-name", "is not a valid host name");
    }

    [Fact]
    public void Invalid_firewall_host()
    {
        var error = Reject(WithConnectors("out { address-spaces = [\"*;1\"], firewalls = [fw-a] }", "fw-a { host = \"smtp host\" }"));

        AssertNames(error, "router.firewalls.fw-a.host", "is not an IP address or host name");
    }

    [Fact]
    public void Non_positive_message_size()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.max-message-size = 0"));

        AssertNames(error, "router.smtp.max-message-size", "must be greater than zero");
    }

    [Fact]
    public void Multi_line_banner()
    {
        var error = Reject(ConfigSamples.MinimalWith("router.smtp.banner = \"a\\nb\""));

        AssertNames(error, "router.smtp.banner", "must be one line");
    }

    [Fact]
    public void Hocon_the_parser_rejects_names_the_source()
    {
        // Akka's parser forgives most syntax slips; an unresolved substitution is one it rejects.
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.Parse("router { node-name = ${nope} }"));

        Assert.Equal("configuration", error.Key);
        Assert.Equal("configuration: invalid HOCON: Unresolved substitution: nope", error.Message);
    }
}

public sealed class RetryConfigTests
{
    [Fact]
    public void A_retry_schedule_is_read_in_order_and_the_expiry_with_it()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith("router.retry { schedule = [30s, 2m], expire-after = 1d, delay-notice-after = 4h }")));
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)], options.Delivery.Retry.Schedule);
        Assert.Equal(TimeSpan.FromDays(1), options.Delivery.Retry.ExpireAfter);
        Assert.Equal(TimeSpan.FromHours(4), options.Delivery.Retry.DelayNoticeAfter);
    }

    [Fact]
    public void A_bad_schedule_entry_names_its_index()
    {
        var error = Assert.Throws<RouterConfigException>(() =>
            RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith("router.retry.schedule = [1m, soon]"))));
        Assert.StartsWith("router.retry.schedule[1]:", error.Message);
    }
}
