using Router.Actors.Observability;
using Router.Actors.Spool;

namespace Router.Node.Admin;

/// <summary>
/// The dashboard's chart history, kept by the node so that a page opened now shows the last
/// minutes at once: every <see cref="Interval"/> the queue depth and the accepted and delivered
/// rates since the previous sample, the newest <see cref="Capacity"/> kept (10 minutes). Served as
/// <c>GET /api/throughput</c>. Sampling reads two counters and the spool's statistics; nothing on
/// the mail's path changes.
/// </summary>
public sealed class DashboardSamples
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public const int Capacity = 300;

    private readonly Func<SpoolStatistics> _spool;
    private readonly Func<(long Accepted, long Delivered)> _totals;
    private readonly Queue<ThroughputSample> _samples = new(Capacity);
    private readonly Lock _lock = new();
    private (long Accepted, long Delivered, DateTimeOffset At)? _previous;

    public DashboardSamples(Func<SpoolStatistics> spool, Func<(long Accepted, long Delivered)> totals)
    {
        _spool = spool;
        _totals = totals;
    }

    /// <summary>Samples every <see cref="Interval"/> until <paramref name="stopping"/> is cancelled; the first sample at once.</summary>
    public static DashboardSamples Start(Func<SpoolStatistics> spool, RouterMetrics metrics, CancellationToken stopping)
    {
        var samples = new DashboardSamples(spool, () => metrics.Totals);
        samples.Sample(DateTimeOffset.UtcNow);
        _ = samples.RunAsync(stopping);
        return samples;
    }

    public ThroughputSeries Series()
    {
        lock (_lock)
            return new ThroughputSeries(Interval.TotalSeconds, _samples.ToArray());
    }

    /// <summary>How far back <c>cluster show</c>'s rates reach.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Accepted and delivered per second between the newest sample and the oldest one at most <paramref name="window"/>
    /// before it (half an interval's slack for the timer's jitter), and the seconds that spans; all 0 before two samples.
    /// </summary>
    public (double AcceptedPerSecond, double DeliveredPerSecond, double Seconds) Rates(TimeSpan window)
    {
        lock (_lock)
        {
            if (_samples.Count < 2)
                return (0, 0, 0);
            var newest = _samples.Last();
            var from = _samples.First(s => newest.At - s.At <= window + Interval / 2);
            var seconds = (newest.At - from.At).TotalSeconds;
            if (seconds <= 0)
                return (0, 0, 0);
            return (Math.Round(Math.Max(0, newest.Accepted - from.Accepted) / seconds, 2),
                Math.Round(Math.Max(0, newest.Delivered - from.Delivered) / seconds, 2), Math.Round(seconds, 1));
        }
    }

    /// <summary>Takes one sample: the rates are over the time since the previous one (0 for the first).</summary>
    public void Sample(DateTimeOffset now)
    {
        var statistics = _spool();
        var (accepted, delivered) = _totals();
        lock (_lock)
        {
            double acceptedRate = 0, deliveredRate = 0;
            if (_previous is { } previous && now > previous.At)
            {
                var seconds = (now - previous.At).TotalSeconds;
                acceptedRate = Math.Max(0, accepted - previous.Accepted) / seconds;
                deliveredRate = Math.Max(0, delivered - previous.Delivered) / seconds;
            }
            _previous = (accepted, delivered, now);
            if (_samples.Count == Capacity)
                _samples.Dequeue();
            _samples.Enqueue(new ThroughputSample(now, statistics.MessagesQueued, statistics.BytesQueued,
                Math.Round(acceptedRate, 2), Math.Round(deliveredRate, 2), accepted, delivered));
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    Sample(DateTimeOffset.UtcNow);
                }
                catch (ObjectDisposedException)
                {
                    // The spool closed while the node stops.
                    return;
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException)
                {
                    // One sample missed; the chart shows a gap, the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }
}

/// <summary><c>GET /api/throughput</c>: the dashboard chart's samples, oldest first.</summary>
public sealed record ThroughputSeries(double IntervalSeconds, IReadOnlyList<ThroughputSample> Samples);

/// <param name="Queued">Messages in the spool with a recipient pending.</param>
/// <param name="AcceptedPerSecond">Messages accepted at the SMTP edge per second since the previous sample.</param>
/// <param name="DeliveredPerSecond">Recipients delivered to a firewall per second since the previous sample.</param>
/// <param name="Accepted">Messages accepted since the node started.</param>
/// <param name="Delivered">Recipients delivered since the node started.</param>
public sealed record ThroughputSample(DateTimeOffset At, int Queued, long QueuedBytes, double AcceptedPerSecond, double DeliveredPerSecond,
    long Accepted, long Delivered);
