namespace Router.Actors.Health.Latency;

/// <summary>
/// The last <see cref="Capacity"/> latencies of one phase of one firewall, with their mean and
/// standard deviation kept as running sums (O(1) per sample), like the heartbeat history of
/// Akka's phi accrual failure detector. Not thread-safe: one owner (the firewall's actor) feeds it.
/// </summary>
public sealed class LatencyHistory
{
    private readonly double[] _samples;
    private int _next;
    private double _sum;
    private double _sumOfSquares;

    public LatencyHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _samples = new double[capacity];
    }

    public int Capacity => _samples.Length;

    public int Count { get; private set; }

    /// <summary>Mean in milliseconds (0 when empty).</summary>
    public double MeanMs => Count == 0 ? 0 : _sum / Count;

    /// <summary>Population standard deviation in milliseconds (0 with fewer than two samples).</summary>
    public double StdDeviationMs
    {
        get
        {
            if (Count < 2)
                return 0;
            var mean = MeanMs;
            // Running sums can go a hair below zero through rounding.
            return Math.Sqrt(Math.Max(0, _sumOfSquares / Count - mean * mean));
        }
    }

    public void Record(TimeSpan latency)
    {
        var ms = Math.Max(0, latency.TotalMilliseconds);
        if (Count == Capacity)
        {
            var oldest = _samples[_next];
            _sum -= oldest;
            _sumOfSquares -= oldest * oldest;
        }
        else
        {
            Count++;
        }
        _samples[_next] = ms;
        _next = (_next + 1) % Capacity;
        _sum += ms;
        _sumOfSquares += ms * ms;
    }

    /// <summary>The <paramref name="quantile"/> (0-1) of the samples held, nearest rank; zero when empty.</summary>
    public TimeSpan Percentile(double quantile)
    {
        if (Count == 0)
            return TimeSpan.Zero;
        var sorted = _samples.AsSpan(0, Count).ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(Math.Clamp(quantile, 0, 1) * Count) - 1;
        return TimeSpan.FromMilliseconds(sorted[Math.Clamp(rank, 0, Count - 1)]);
    }
}
