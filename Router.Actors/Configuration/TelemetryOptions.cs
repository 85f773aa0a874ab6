namespace Router.Actors.Configuration;

/// <summary>How spans and metrics are exported over OTLP: <c>otlp-protocol</c>.</summary>
public enum OtlpProtocol
{
    /// <summary><c>grpc</c>: OTLP over gRPC (a collector's port 4317), OpenTelemetry .NET's default.</summary>
    Grpc,

    /// <summary><c>http/protobuf</c>: OTLP over HTTP (port 4318); <c>/v1/traces</c> and <c>/v1/metrics</c> are appended to the endpoint.</summary>
    HttpProtobuf,
}

/// <summary>
/// <c>router.telemetry</c>: OpenTelemetry export of the node's traces (one per message) and metrics (the same ones
/// <c>/metrics</c> serves) to an OTLP endpoint. Off while <see cref="OtlpEndpoint"/> is not set.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary><c>otlp-endpoint</c>: the collector's base URL (http or https); null (the default, <c>""</c>): no export, no spans made.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>otlp-protocol</c>: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public OtlpProtocol OtlpProtocol { get; init; } = OtlpProtocol.Grpc;

    /// <summary>
    /// <c>sample-ratio</c>: the share of messages traced, 0 to 1, decided once per message at its acceptance (by its
    /// trace id, so every node agrees). A message handed over keeps its sender's decision. Default 1.0.
    /// </summary>
    public double SampleRatio { get; init; } = 1.0;

    /// <summary><c>metric-interval</c>: how often the metrics are exported. Default 60s.</summary>
    public TimeSpan MetricInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether anything is exported.</summary>
    public bool Enabled => OtlpEndpoint is not null;
}
