using CsCheck;
using Router.Actors.Health.Latency;

namespace Router.Tests.Health;

/// <summary>Issue 18: the pure parts of adaptive detection: φ, the latency history, and a firewall's per-phase thresholds.</summary>
public sealed class LatencyDetectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly LatencyPolicy Policy = LatencyPolicy.Default;

    private static FirewallLatencies WithHistory(DeliveryPhase phase, params double[] samplesMs)
    {
        var latencies = new FirewallLatencies(Policy);
        foreach (var ms in samplesMs)
            latencies.Record(phase, TimeSpan.FromMilliseconds(ms));
        return latencies;
    }

    private static double[] Repeat(double ms, int count) => Enumerable.Repeat(ms, count).ToArray();

    [Fact]
    public void Phi_is_small_at_the_mean_and_grows_with_the_wait()
    {
        Assert.InRange(PhiAccrual.Phi(100, 100, 10), 0.29, 0.31); // F(0) = 0.5: -log10(0.5)
        var previous = 0.0;
        foreach (var waited in new[] { 110.0, 120, 130, 150, 200 })
        {
            var phi = PhiAccrual.Phi(waited, 100, 10);
            Assert.True(phi > previous, $"phi({waited}) = {phi} is not above {previous}");
            previous = phi;
        }
        Assert.InRange(PhiAccrual.Phi(120, 100, 10), 1.5, 1.8); // two deviations: about 2.3% left
    }

    [Fact]
    public void Wait_for_phi_inverts_phi_for_any_history()
    {
        Gen.Select(Gen.Double[0.5, 12], Gen.Double[0, 20_000], Gen.Double[1, 5_000])
            .Sample((phi, mean, deviation) =>
            {
                var wait = PhiAccrual.WaitForPhi(phi, mean, deviation);
                return wait > mean && Math.Abs(PhiAccrual.Phi(wait, mean, deviation) - phi) < 1e-3;
            });
    }

    [Fact]
    public void History_keeps_mean_and_deviation_of_its_window_only()
    {
        var history = new LatencyHistory(4);
        foreach (var ms in new[] { 1000.0, 1000, 10, 20, 30, 40 })
            history.Record(TimeSpan.FromMilliseconds(ms));

        Assert.Equal(4, history.Count);
        Assert.Equal(25, history.MeanMs, 6);
        Assert.Equal(Math.Sqrt(125), history.StdDeviationMs, 6);
        Assert.Equal(TimeSpan.FromMilliseconds(20), history.Percentile(0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(40), history.Percentile(0.99));
    }

    [Fact]
    public void Until_a_phase_has_enough_samples_its_threshold_is_the_fixed_timeout()
    {
        var latencies = WithHistory(DeliveryPhase.Greeting, Repeat(5, Policy.MinSamples - 1));

        Assert.False(latencies.Judges(DeliveryPhase.Greeting));
        Assert.Equal(Timeout, latencies.Threshold(DeliveryPhase.Greeting, Timeout));
        Assert.Equal(0, latencies.Phi(DeliveryPhase.Greeting, TimeSpan.FromSeconds(9)));
    }

    [Fact]
    public void A_fast_firewall_is_judged_within_a_second_never_on_milliseconds()
    {
        var latencies = WithHistory(DeliveryPhase.Greeting, Repeat(2, Policy.MinSamples));

        var threshold = latencies.Threshold(DeliveryPhase.Greeting, Timeout);

        // mean 2 ms + acceptable pause 500 ms + about 5.6 minimum deviations of 100 ms at phi 8.
        Assert.InRange(threshold, TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(1100));
        Assert.True(latencies.Phi(DeliveryPhase.Greeting, TimeSpan.FromMilliseconds(600)) < Policy.PhiThreshold);
        Assert.True(latencies.Phi(DeliveryPhase.Greeting, TimeSpan.FromSeconds(2)) > Policy.PhiThreshold);
    }

    [Fact]
    public void A_slow_but_steady_firewall_gets_a_threshold_above_its_own_latency()
    {
        // A content scanner that always takes 3 s to greet, give or take 50 ms.
        var samples = Enumerable.Range(0, 50).Select(i => 2950.0 + i % 3 * 50).ToArray();
        var latencies = WithHistory(DeliveryPhase.Greeting, samples);

        var threshold = latencies.Threshold(DeliveryPhase.Greeting, Timeout);

        Assert.InRange(threshold, TimeSpan.FromMilliseconds(3500), TimeSpan.FromMilliseconds(4500));
        Assert.True(latencies.Phi(DeliveryPhase.Greeting, TimeSpan.FromMilliseconds(3100)) < 1);
    }

    [Fact]
    public void A_gradual_rise_moves_the_threshold_with_it()
    {
        var latencies = new FirewallLatencies(Policy);
        for (var i = 0; i < Policy.WindowSize; i++)
            latencies.Record(DeliveryPhase.Mail, TimeSpan.FromMilliseconds(50));
        var before = latencies.Threshold(DeliveryPhase.Mail, Timeout);

        // Each sample a little slower than the last, up to 2 s: never far outside the recent ones.
        for (var ms = 50.0; ms <= 2000; ms += 10)
        {
            Assert.True(latencies.Phi(DeliveryPhase.Mail, TimeSpan.FromMilliseconds(ms)) < Policy.PhiThreshold, $"{ms} ms judged far outside");
            latencies.Record(DeliveryPhase.Mail, TimeSpan.FromMilliseconds(ms));
        }

        Assert.True(latencies.Threshold(DeliveryPhase.Mail, Timeout) > before + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void The_threshold_never_exceeds_the_fixed_timeout()
    {
        var latencies = WithHistory(DeliveryPhase.EndOfData, Enumerable.Range(0, 30).Select(i => 5000.0 + i * 100).ToArray());

        Assert.Equal(TimeSpan.FromSeconds(6), latencies.Threshold(DeliveryPhase.EndOfData, TimeSpan.FromSeconds(6)));
    }

    [Fact]
    public void Phases_are_kept_apart_and_only_end_of_data_comes_after_the_data()
    {
        var latencies = WithHistory(DeliveryPhase.Connect, Repeat(1, Policy.MinSamples));

        Assert.True(latencies.Judges(DeliveryPhase.Connect));
        Assert.False(latencies.Judges(DeliveryPhase.Greeting));
        Assert.Equal([DeliveryPhase.EndOfData], DeliveryPhases.All.Where(p => !p.BeforeData()));

        var snapshot = latencies.Snapshot(_ => Timeout);
        var connect = snapshot.Single(p => p.Phase == DeliveryPhase.Connect);
        Assert.Equal((Policy.MinSamples, TimeSpan.FromMilliseconds(1), true), (connect.Samples, connect.P50, connect.Adaptive));
        Assert.True(connect.Threshold < Timeout);
        Assert.Equal(Timeout, snapshot.Single(p => p.Phase == DeliveryPhase.Greeting).Threshold);
    }
}
