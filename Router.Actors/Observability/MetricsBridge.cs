using System.Diagnostics.Metrics;

namespace Router.Actors.Observability;

/// <summary>
/// The node's Prometheus metrics (<see cref="RouterMetrics"/>, its registry: what <c>/metrics</c> serves) as a
/// <see cref="Meter"/> that OpenTelemetry exports: a bridge, not a second set of instruments. Each family becomes an
/// observable instrument of the same name, read from the registry when the exporter collects (the mail path records
/// once, into prometheus-net, as before): counters as observable counters, gauges as observable gauges, and each
/// histogram as its Prometheus series, <c>name_bucket</c> (with the <c>le</c> attribute), <c>name_sum</c> and
/// <c>name_count</c>, cumulative counters, so a collector that writes Prometheus gets back exactly the series of
/// <c>/metrics</c>. Families registered later (shadow redundancy's, say) are picked up from the next export on.
/// </summary>
public sealed class MetricsBridge : IDisposable
{
    /// <summary>The meter's name: what a meter provider adds to export the router's metrics.</summary>
    public const string MeterName = "Router";

    /// <summary>A collection reads the registry once, not once per instrument.</summary>
    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);

    private readonly RouterMetrics _metrics;
    private readonly Meter _meter;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _instruments = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, PrometheusExposition.Family> _snapshot = new Dictionary<string, PrometheusExposition.Family>();
    // -1: never read. (long.MinValue here made now - _snapshotAt overflow, so the registry was never read at all.)
    private long _snapshotAt = -1;
    private int _adding;

    /// <param name="node">The node name, a tag of the meter (<c>router.node</c>).</param>
    /// <param name="meterName">The meter's name; tests that run several nodes in one process give each its own.</param>
    public MetricsBridge(RouterMetrics metrics, string node, string meterName = MeterName)
    {
        _metrics = metrics;
        _meter = new Meter(new MeterOptions(meterName)
        {
            Version = typeof(MetricsBridge).Assembly.GetName().Version?.ToString(3),
            Tags = [new("router.node", node)],
        });
        AddInstruments(Snapshot());
    }

    public void Dispose() => _meter.Dispose();

    private IReadOnlyDictionary<string, PrometheusExposition.Family> Snapshot()
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_snapshotAt < 0 || now - _snapshotAt >= SnapshotAge.TotalMilliseconds)
            {
                _snapshot = PrometheusExposition.Parse(_metrics.ExportTextAsync().GetAwaiter().GetResult());
                _snapshotAt = now;
            }
            return _snapshot;
        }
    }

    private void AddInstruments(IReadOnlyDictionary<string, PrometheusExposition.Family> families)
    {
        foreach (var family in families.Values)
        {
            switch (family.Type)
            {
                case "counter":
                    Add(family.Name, name => _meter.CreateObservableCounter(name, () => Read(family.Name, name), description: family.Help));
                    break;
                case "gauge":
                    Add(family.Name, name => _meter.CreateObservableGauge(name, () => Read(family.Name, name), description: family.Help));
                    break;
                case "histogram":
                    foreach (var series in new[] { "_bucket", "_sum", "_count" })
                        Add(family.Name + series, name => _meter.CreateObservableCounter(name, () => Read(family.Name, name), description: family.Help));
                    break;
            }
        }
    }

    private void Add(string name, Action<string> create)
    {
        lock (_gate)
        {
            if (!_instruments.Add(name))
                return;
        }
        create(name);
    }

    /// <summary>The samples of one series of a family, as measurements; a family not seen before is added after this collection.</summary>
    private IEnumerable<Measurement<double>> Read(string family, string series)
    {
        var snapshot = Snapshot();
        if (snapshot.Values.Any(f => f.Type is "counter" or "gauge" or "histogram" && !Known(f.Name)) && Interlocked.Exchange(ref _adding, 1) == 0)
        {
            // Not from inside the exporter's collection: the new instruments are published on another thread.
            ThreadPool.QueueUserWorkItem(_ =>
            {
                AddInstruments(snapshot);
                Volatile.Write(ref _adding, 0);
            });
        }
        if (!snapshot.TryGetValue(family, out var samples))
            return [];
        return samples.Samples.Where(s => s.Name == series).Select(s => new Measurement<double>(s.Value, s.Labels)).ToArray();
    }

    private bool Known(string family)
    {
        lock (_gate)
            return _instruments.Contains(family) || _instruments.Contains(family + "_bucket");
    }
}
