using System.Globalization;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.telemetry</c>: the OTLP endpoint and protocol, the trace sample ratio and the metric export interval.</summary>
internal static class TelemetryConfigReader
{
    private const string TelemetryKey = RouterConfig.Root + ".telemetry";

    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal) { "otlp-endpoint", "otlp-protocol", "sample-ratio", "metric-interval" };

    public static TelemetryOptions Read(HoconReader reader, ConfigErrors errors)
    {
        // A misspelt key ("sample-rate") would otherwise be ignored and the default used.
        if (reader.At(TelemetryKey) is { } block)
            errors.Check(() => ConfigRules.RejectUnknownKeys(HoconReader.Object(block, TelemetryKey), TelemetryKey, Keys, errors));

        var endpointKey = $"{TelemetryKey}.otlp-endpoint";
        var endpoint = errors.Read(() => Endpoint(HoconReader.String(reader.AtOrDefault(endpointKey), endpointKey), endpointKey), null);

        var protocolKey = $"{TelemetryKey}.otlp-protocol";
        var protocol = errors.Read(() => HoconReader.RequiredString(reader.Required(protocolKey), protocolKey).ToLowerInvariant() switch
        {
            "grpc" => OtlpProtocol.Grpc,
            "http/protobuf" => OtlpProtocol.HttpProtobuf,
            var other => throw new RouterConfigException(protocolKey, $"expected grpc or http/protobuf, got \"{other}\""),
        }, OtlpProtocol.Grpc);

        var ratioKey = $"{TelemetryKey}.sample-ratio";
        var ratio = errors.Read(() => Ratio(HoconReader.RequiredString(reader.Required(ratioKey), ratioKey), ratioKey), 1.0);

        var intervalKey = $"{TelemetryKey}.metric-interval";
        var interval = errors.Read(() => ConfigRules.Positive(reader, intervalKey), TimeSpan.FromSeconds(60));

        return new TelemetryOptions { OtlpEndpoint = endpoint, OtlpProtocol = protocol, SampleRatio = ratio, MetricInterval = interval };
    }

    private static Uri? Endpoint(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0
            ? uri
            : throw new RouterConfigException(key, $"expected an http:// or https:// URL such as \"http://otel-collector:4317\", got \"{text}\"");
    }

    private static double Ratio(string text, string key) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new RouterConfigException(key, $"expected a number from 0 to 1 (the share of messages traced), got \"{text}\"");
}
