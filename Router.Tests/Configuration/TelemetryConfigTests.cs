using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary><c>router.telemetry</c>: off by default, every key settable, bad values rejected naming the key.</summary>
public sealed class TelemetryConfigTests
{
    private static RouterOptions Load(string telemetry) => RouterConfig.ToOptions(RouterConfig.Parse($$"""
        router {
          {{telemetry}}
          firewalls { fw-a { host = "127.0.0.1" } }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """));

    [Fact]
    public void By_default_nothing_is_exported_and_every_message_would_be_traced()
    {
        var telemetry = Load(string.Empty).Telemetry;

        Assert.False(telemetry.Enabled);
        Assert.Equal(new TelemetryOptions(), telemetry);
        Assert.Equal((OtlpProtocol.Grpc, 1.0, TimeSpan.FromSeconds(60)), (telemetry.OtlpProtocol, telemetry.SampleRatio, telemetry.MetricInterval));
    }

    [Fact]
    public void Every_key_can_be_set()
    {
        var telemetry = Load("""telemetry { otlp-endpoint = "http://otel-collector:4318", otlp-protocol = "http/protobuf", sample-ratio = 0.01, metric-interval = 15s }""").Telemetry;

        Assert.True(telemetry.Enabled);
        Assert.Equal(new TelemetryOptions
        {
            OtlpEndpoint = new Uri("http://otel-collector:4318"),
            OtlpProtocol = OtlpProtocol.HttpProtobuf,
            SampleRatio = 0.01,
            MetricInterval = TimeSpan.FromSeconds(15),
        }, telemetry);
    }

    [Fact]
    public void The_sample_ratio_may_be_0_or_1_and_an_empty_endpoint_is_off()
    {
        Assert.Equal(0, Load("telemetry { sample-ratio = 0 }").Telemetry.SampleRatio);
        Assert.Equal(1, Load("telemetry { sample-ratio = 1 }").Telemetry.SampleRatio);
        Assert.False(Load("""telemetry { otlp-endpoint = "  " }""").Telemetry.Enabled);
    }

    [Theory]
    [InlineData("otlp-endpoint = \"otel-collector:4317\"", "router.telemetry.otlp-endpoint", "expected an http:// or https:// URL")]
    [InlineData("otlp-endpoint = \"ftp://otel-collector\"", "router.telemetry.otlp-endpoint", "expected an http:// or https:// URL")]
    [InlineData("otlp-protocol = http", "router.telemetry.otlp-protocol", "expected grpc or http/protobuf")]
    [InlineData("sample-ratio = 1.5", "router.telemetry.sample-ratio", "expected a number from 0 to 1")]
    [InlineData("sample-ratio = -0.1", "router.telemetry.sample-ratio", "expected a number from 0 to 1")]
    [InlineData("sample-ratio = all", "router.telemetry.sample-ratio", "expected a number from 0 to 1")]
    [InlineData("metric-interval = 0s", "router.telemetry.metric-interval", "must be greater than zero")]
    [InlineData("sample-rate = 0.5", "router.telemetry.sample-rate", "unknown key")]
    public void A_bad_value_is_rejected_naming_its_key(string setting, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Load($"telemetry {{ {setting} }}"));

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
