using Router.Actors.Spool;
using Router.Node.Admin;

namespace Router.Tests.Admin;

/// <summary>The dashboard chart's history: rates between samples, a bounded window.</summary>
public sealed class DashboardSamplesTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 20, 0, 0, TimeSpan.Zero);

    private int _queued;
    private long _accepted;
    private long _delivered;

    private DashboardSamples NewSamples() =>
        new(() => new SpoolStatistics(_queued, _queued * 1000L, 1, 0, 0, 0, 0, 0), () => (_accepted, _delivered));

    [Fact]
    public void Rates_are_per_second_since_the_previous_sample_and_the_queue_depth_is_read_at_each()
    {
        var samples = NewSamples();
        samples.Sample(Start);
        (_queued, _accepted, _delivered) = (5, 40, 30);
        samples.Sample(Start.AddSeconds(2));
        (_queued, _accepted, _delivered) = (0, 40, 45);
        samples.Sample(Start.AddSeconds(4));

        var series = samples.Series().Samples;
        Assert.Equal([0, 5, 0], series.Select(s => s.Queued));
        Assert.Equal([0.0, 20, 0], series.Select(s => s.AcceptedPerSecond));
        Assert.Equal([0.0, 15, 7.5], series.Select(s => s.DeliveredPerSecond));
        Assert.Equal([0L, 40, 40], series.Select(s => s.Accepted));
        Assert.Equal(5000, series[1].QueuedBytes);
    }

    [Fact]
    public void Only_the_newest_samples_are_kept()
    {
        var samples = NewSamples();
        for (var i = 0; i < DashboardSamples.Capacity + 25; i++)
            samples.Sample(Start.AddSeconds(2 * i));

        var series = samples.Series().Samples;
        Assert.Equal(DashboardSamples.Capacity, series.Count);
        Assert.Equal(Start.AddSeconds(2 * 25), series[0].At);
        Assert.Equal(Start.AddSeconds(2 * (DashboardSamples.Capacity + 24)), series[^1].At);
    }
}
