using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary>The listener's limits in the HOCON contract: defaults, overrides, and each rejection naming its key.</summary>
public sealed class SmtpLimitsConfigTests
{
    private static SmtpLimits Limits(string smtp = "") =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith($"router.smtp {{ {smtp} }}"))).Smtp.Limits;

    private static RouterConfigException Reject(string smtp)
    {
        var error = Assert.Throws<RouterConfigException>(() => Limits(smtp));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Fact]
    public void Defaults_are_the_documented_ones_and_auto_in_flight_is_eight_messages_of_the_largest_size()
    {
        var limits = Limits();

        Assert.Equal(new SmtpLimits(), limits);
        Assert.Equal((50, 512, 1000, 10), (limits.MaxConnectionsPerIp, limits.MaxCommandLineLength, limits.MaxTextLineLength, limits.MaxErrors));
        Assert.Equal((TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(10)), (limits.DataTimeout, limits.DataTotalTimeout));
        Assert.Equal(8 * 36_700_160L, limits.MaxInflightBytes);
        Assert.Equal("postmaster@router.localdomain", limits.Postmaster);
        Assert.Equal(8 * 1_000_000L, Limits("max-message-size = 1000000").MaxInflightBytes);
    }

    [Fact]
    public void Every_limit_can_be_set()
    {
        var limits = Limits("""
            hostname = "relay.corp.example"
            max-connections-per-ip = 5, max-command-line-length = 1024, max-text-line-length = 2000, max-errors = 3
            data-timeout = 30s, data-total-timeout = 5m, max-inflight-bytes = 1 GiB
            """);

        Assert.Equal(new SmtpLimits
        {
            MaxConnectionsPerIp = 5,
            MaxCommandLineLength = 1024,
            MaxTextLineLength = 2000,
            MaxErrors = 3,
            DataTimeout = TimeSpan.FromSeconds(30),
            DataTotalTimeout = TimeSpan.FromMinutes(5),
            MaxInflightBytes = 1L << 30,
            Postmaster = "postmaster@relay.corp.example",
        }, limits);
        Assert.Equal("hostmaster@corp.example", Limits("postmaster = \"hostmaster@corp.example\"").Postmaster);
    }

    [Theory]
    [InlineData("max-command-line-length = 511", "router.smtp.max-command-line-length", "RFC 5321 section 4.5.3.1.4")]
    [InlineData("max-text-line-length = 998", "router.smtp.max-text-line-length", "RFC 5321 section 4.5.3.1.6")]
    [InlineData("max-connections-per-ip = 0", "router.smtp.max-connections-per-ip", "at least 1")]
    [InlineData("max-errors = 0", "router.smtp.max-errors", "at least 1")]
    [InlineData("data-timeout = 0s", "router.smtp.data-timeout", "greater than zero")]
    [InlineData("data-timeout = 5m, data-total-timeout = 1m", "router.smtp.data-total-timeout", "shorter than data-timeout")]
    [InlineData("max-message-size = 1000000, max-inflight-bytes = 500000", "router.smtp.max-inflight-bytes", "below max-message-size")]
    [InlineData("max-inflight-bytes = lots", "router.smtp.max-inflight-bytes", "expected a size")]
    [InlineData("postmaster = \"postmaster\"", "router.smtp.postmaster", "not a mailbox")]
    [InlineData("postmaster = \"a%b@corp.example\"", "router.smtp.postmaster", "not a mailbox")]
    public void A_bad_limit_is_rejected_naming_its_key(string smtp, string key, string problem)
    {
        var error = Reject(smtp);

        Assert.Equal(key, error.Key);
        Assert.StartsWith($"{key}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
