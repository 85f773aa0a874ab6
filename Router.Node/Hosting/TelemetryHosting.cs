using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Router.Actors.Configuration;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;

namespace Router.Node.Hosting;

/// <summary>
/// <c>router.telemetry</c>: with an OTLP endpoint, the node exports its spans (one trace per message,
/// <see cref="MessageTracing"/>) and its metrics (the <c>/metrics</c> registry through <see cref="MetricsBridge"/>) with
/// the OpenTelemetry SDK; started and flushed with the host. Without one nothing is registered: nothing listens to the
/// router's spans, so none is made.
/// </summary>
internal static class TelemetryHosting
{
    public static IServiceCollection AddRouterTelemetry(this IServiceCollection services, RouterOptions options)
    {
        var telemetry = options.Telemetry;
        if (telemetry.OtlpEndpoint is not { } endpoint)
            return services;

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("router", serviceVersion: typeof(TelemetryHosting).Assembly.GetName().Version?.ToString(3),
                serviceInstanceId: options.NodeName))
            .WithTracing(tracing => tracing
                .AddSource(MessageTracing.SourceName)
                // Decided once per message, at its acceptance: its later spans, here or on a peer, follow the parent.
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(telemetry.SampleRatio)))
                .AddOtlpExporter(otlp => Configure(otlp, endpoint, telemetry.OtlpProtocol, "v1/traces")))
            .WithMetrics(metrics => metrics
                .AddMeter(MetricsBridge.MeterName)
                .AddInstrumentation(sp => new MetricsBridge(sp.GetRequiredService<RouterMetrics>(), options.NodeName))
                .AddOtlpExporter((otlp, reader) =>
                {
                    Configure(otlp, endpoint, telemetry.OtlpProtocol, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Math.Min(int.MaxValue, telemetry.MetricInterval.TotalMilliseconds);
                    // Prometheus counters are cumulative; so is what a collector forwards to Prometheus.
                    reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                }));
        return services;
    }

    private static void Configure(OtlpExporterOptions otlp, Uri endpoint, OtlpProtocol protocol, string signalPath)
    {
        otlp.Protocol = protocol == OtlpProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        // Set in code, the endpoint is used as given: over HTTP the signal's path is ours to append, as the
        // OTEL_EXPORTER_OTLP_ENDPOINT convention does.
        otlp.Endpoint = protocol == OtlpProtocol.Grpc ? endpoint : SignalEndpoint(endpoint, signalPath);
    }

    /// <summary>The base URL with <paramref name="signalPath"/> appended (<c>http://collector:4318/v1/traces</c>).</summary>
    public static Uri SignalEndpoint(Uri endpoint, string signalPath) =>
        new(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath);
}
