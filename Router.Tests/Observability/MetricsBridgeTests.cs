using OpenTelemetry;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Router.Actors.Observability;

namespace Router.Tests.Observability;

/// <summary>
/// Issue 22: the metrics of <c>/metrics</c> are exported through OpenTelemetry as well (<see cref="MetricsBridge"/>),
/// read back here with the in-memory exporter: the same names, values and labels.
/// </summary>
public sealed class MetricsBridgeTests
{
    [Fact]
    public void The_registrys_counters_and_gauges_are_exported_with_their_values_and_labels()
    {
        var metrics = new RouterMetrics();
        metrics.MessageAccepted(1500);
        metrics.MessageAccepted(500);
        metrics.Refused("relay_denied");
        var meterName = $"Router.Tests.{Guid.NewGuid():N}";
        var exported = new List<Metric>();
        using var bridge = new MetricsBridge(metrics, "node-t", meterName);
        var seen = new List<string>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == meterName) seen.Add(i.Name); };
            listener.Start();
        }
        Assert.Contains("router_messages_accepted_total", seen);
        Assert.Contains("router_delivery_latency_seconds_bucket", seen);
        using (var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meterName).AddInMemoryExporter(exported).Build())
            provider.ForceFlush();

        Assert.Equal(2, Sum(exported, "router_messages_accepted_total"));
        Assert.Equal(2000, Sum(exported, "router_accepted_bytes_total"));
        var refused = Points(exported, "router_smtp_refused_total");
        Assert.Contains(refused, p => Tag(p, "reason") == "relay_denied" && p.GetSumDouble() == 1);
        Assert.Contains(refused, p => Tag(p, "reason") == "timeout" && p.GetSumDouble() == 0);
    }

    [Fact]
    public void Added_as_the_meter_providers_instrumentation_as_the_node_does_it_exports_the_registry()
    {
        var metrics = new RouterMetrics();
        metrics.MessageAccepted(100);
        var exported = new List<Metric>();
        // Read while the provider lives: disposing it disposes the bridge, and the exported metrics' points with it.
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(MetricsBridge.MeterName)
            .AddInstrumentation(() => new MetricsBridge(metrics, "node-h")).AddInMemoryExporter(exported).Build();
        provider.ForceFlush();

        Assert.Equal(1, Sum(exported, "router_messages_accepted_total"));
    }

    [Fact]
    public void A_node_with_an_otlp_endpoint_exports_its_registry_through_the_meter_provider_it_registers()
    {
        var options = Router.Actors.Configuration.RouterConfig.ToOptions(Router.Actors.Configuration.RouterConfig.Parse("""
            router {
              node-name = "node-otlp"
              telemetry { otlp-endpoint = "http://127.0.0.1:9", otlp-protocol = "http/protobuf" }
              firewalls { fw-a { host = "127.0.0.1" } }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            }
            """));
        var exported = new List<Metric>();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<RouterMetrics>(services);
        Router.Node.Hosting.TelemetryHosting.AddRouterTelemetry(services, options);
        services.ConfigureOpenTelemetryMeterProvider(b => b.AddInMemoryExporter(exported));
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var metrics = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<RouterMetrics>(provider);
        metrics.MessageAccepted(100);
        var meters = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<MeterProvider>(provider);
        meters.ForceFlush();

        Assert.Equal(1, Sum(exported, "router_messages_accepted_total"));
    }

    private static List<MetricPoint> Points(List<Metric> exported, string name)
    {
        var metric = exported.LastOrDefault(m => m.Name == name)
            ?? throw new Xunit.Sdk.XunitException($"{name} not exported; exported: {string.Join(", ", exported.Select(m => m.Name).Distinct())}");
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
            points.Add(point);
        return points;
    }

    private static double Sum(List<Metric> exported, string name) => Points(exported, name).Sum(p => p.GetSumDouble());

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
            if (tag.Key == key)
                return tag.Value?.ToString();
        return null;
    }
}
