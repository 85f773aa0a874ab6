namespace Router.Actors.Health.Latency;

/// <summary>
/// One firewall's latency history per <see cref="DeliveryPhase"/>, and the judgement of a wait
/// against it: the adaptive threshold of a phase is the wait at which φ reaches the policy's
/// threshold, never more than the phase's fixed timeout (the upper bound), and the fixed timeout
/// alone until the phase has <see cref="LatencyPolicy.MinSamples"/> samples. Only successful steps
/// are recorded: a timeout or a failure is not a latency. Not thread-safe: one owner.
/// </summary>
public sealed class FirewallLatencies(LatencyPolicy policy)
{
    private readonly Dictionary<DeliveryPhase, LatencyHistory> _phases =
        DeliveryPhases.All.ToDictionary(p => p, _ => new LatencyHistory(policy.WindowSize));

    public LatencyPolicy Policy => policy;

    public void Record(DeliveryPhase phase, TimeSpan latency) => _phases[phase].Record(latency);

    /// <summary>Whether <paramref name="phase"/> has enough history to judge.</summary>
    public bool Judges(DeliveryPhase phase) => _phases[phase].Count >= policy.MinSamples;

    /// <summary>The wait after which <paramref name="phase"/> is far outside its history, capped by <paramref name="upperBound"/> (its fixed timeout).</summary>
    public TimeSpan Threshold(DeliveryPhase phase, TimeSpan upperBound)
    {
        if (!Judges(phase))
            return upperBound;
        var (mean, deviation) = Moments(_phases[phase]);
        var wait = TimeSpan.FromMilliseconds(PhiAccrual.WaitForPhi(policy.PhiThreshold, mean, deviation));
        return wait < upperBound ? wait : upperBound;
    }

    /// <summary>The wait at which φ against <paramref name="pooled"/> latencies (another source's mean and deviation) reaches the threshold, capped by <paramref name="upperBound"/>.</summary>
    public TimeSpan Threshold((double MeanMs, double StdDeviationMs) pooled, TimeSpan upperBound)
    {
        var (mean, deviation) = Moments(pooled.MeanMs, pooled.StdDeviationMs);
        var wait = TimeSpan.FromMilliseconds(PhiAccrual.WaitForPhi(policy.PhiThreshold, mean, deviation));
        return wait < upperBound ? wait : upperBound;
    }

    /// <summary>φ of a wait of <paramref name="waited"/> in <paramref name="phase"/>; 0 while the phase has too little history.</summary>
    public double Phi(DeliveryPhase phase, TimeSpan waited)
    {
        if (!Judges(phase))
            return 0;
        var (mean, deviation) = Moments(_phases[phase]);
        return PhiAccrual.Phi(waited.TotalMilliseconds, mean, deviation);
    }

    /// <summary>Per phase: samples, p50, p99 and the current threshold (for <c>router cmd firewall &lt;id&gt;</c>).</summary>
    public IReadOnlyList<PhaseLatency> Snapshot(Func<DeliveryPhase, TimeSpan> upperBound) =>
        DeliveryPhases.All.Select(phase =>
        {
            var history = _phases[phase];
            return new PhaseLatency(phase, history.Count, history.Percentile(0.5), history.Percentile(0.99),
                Threshold(phase, upperBound(phase)), Judges(phase));
        }).ToList();

    private (double MeanMs, double StdDeviationMs) Moments(LatencyHistory history) => Moments(history.MeanMs, history.StdDeviationMs);

    private (double MeanMs, double StdDeviationMs) Moments(double meanMs, double stdDeviationMs) =>
        (meanMs + policy.AcceptablePause.TotalMilliseconds, Math.Max(stdDeviationMs, policy.MinStdDeviation.TotalMilliseconds));
}

/// <summary>What a firewall's history says of one phase.</summary>
/// <param name="Adaptive">False while the phase has too little history: the threshold is then the fixed timeout.</param>
public sealed record PhaseLatency(DeliveryPhase Phase, int Samples, TimeSpan P50, TimeSpan P99, TimeSpan Threshold, bool Adaptive);
