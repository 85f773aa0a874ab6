namespace Router.Actors.Health.Latency;

/// <summary>
/// One firewall's <see cref="FirewallLatencies"/>, shared by its delivery workers and its probe: each
/// step that succeeds is recorded, and each wait asks for its deadline here (the adaptive threshold,
/// never past the fixed timeout). The firewall actor creates it and reads it for operators; a lock
/// keeps the history consistent across the workers' threads (a handful of operations per connection).
/// </summary>
public sealed class LatencyBook(LatencyPolicy policy, LatencyPrior? prior = null)
{
    private readonly object _gate = new();
    private readonly FirewallLatencies _latencies = new(policy);

    public LatencyPolicy Policy => policy;

    public void Record(DeliveryPhase phase, TimeSpan latency)
    {
        lock (_gate)
            _latencies.Record(phase, latency);
        prior?.Record(phase, latency);
    }

    /// <summary>
    /// True while <paramref name="phase"/> has too little history of its own to judge: its waits are then judged against
    /// the node's other firewalls (<see cref="LatencyPrior"/>), and a hedge there says nothing against this firewall.
    /// </summary>
    public bool Cold(DeliveryPhase phase)
    {
        lock (_gate)
            return !_latencies.Judges(phase);
    }

    /// <summary>How long a wait in <paramref name="phase"/> may last: the adaptive threshold, capped by <paramref name="fixedTimeout"/>.</summary>
    public TimeSpan Deadline(DeliveryPhase phase, TimeSpan fixedTimeout)
    {
        lock (_gate)
        {
            if (prior is not null && !_latencies.Judges(phase) && prior.Moments(phase) is { } pooled)
                return _latencies.Threshold(pooled, fixedTimeout);
            return _latencies.Threshold(phase, fixedTimeout);
        }
    }

    public IReadOnlyList<PhaseLatency> Snapshot(Func<DeliveryPhase, TimeSpan> upperBound)
    {
        lock (_gate)
            return _latencies.Snapshot(upperBound);
    }
}
