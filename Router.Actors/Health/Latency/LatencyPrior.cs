using Akka.Actor;

namespace Router.Actors.Health.Latency;

/// <summary>
/// What a node knows of firewall latencies in general: every successful step of every one of its firewalls, pooled per
/// <see cref="DeliveryPhase"/> (one per actor system, <see cref="Get"/>). A firewall that has no history of its own yet
/// (a fresh node, a firewall just added) is judged against this pool instead of waiting out its fixed timeouts: when the
/// node's other firewalls greet in milliseconds, one that has not greeted after a second (φ against the pool, with the
/// same policy) is not worth waiting ten for. Such a wait is hedged like any other, but it does not count against the
/// firewall (it has no history to be far outside of): the job goes elsewhere and a probe with the fixed timeouts asks
/// whether the firewall is dead or only slower than the others; a slow one is then learnt from its own history.
/// Thread-safe.
/// </summary>
public sealed class LatencyPrior : IExtension
{
    /// <summary>Samples of a phase the pool needs before it judges a firewall that has none of its own.</summary>
    public const int MinSamples = 5;

    private const int Window = 200;

    private readonly object _gate = new();
    private readonly Dictionary<DeliveryPhase, LatencyHistory> _phases = DeliveryPhases.All.ToDictionary(p => p, _ => new LatencyHistory(Window));

    /// <summary>This actor system's pool.</summary>
    public static LatencyPrior Get(ActorSystem system) => system.WithExtension<LatencyPrior, LatencyPriorProvider>();

    public void Record(DeliveryPhase phase, TimeSpan latency)
    {
        lock (_gate)
            _phases[phase].Record(latency);
    }

    /// <summary>The pool's mean and deviation of <paramref name="phase"/> in milliseconds, or null with fewer than <see cref="MinSamples"/> samples.</summary>
    public (double MeanMs, double StdDeviationMs)? Moments(DeliveryPhase phase)
    {
        lock (_gate)
        {
            var history = _phases[phase];
            return history.Count < MinSamples ? null : (history.MeanMs, history.StdDeviationMs);
        }
    }
}

/// <summary>Creates the <see cref="LatencyPrior"/> of an actor system.</summary>
public sealed class LatencyPriorProvider : ExtensionIdProvider<LatencyPrior>
{
    public override LatencyPrior CreateExtension(ExtendedActorSystem system) => new();
}
