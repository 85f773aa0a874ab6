namespace Router.Actors.Health.Latency;

/// <summary>
/// How a firewall's latency history judges a wait (<c>router.firewall-defaults.detector</c>).
/// </summary>
/// <param name="PhiThreshold">φ at which a wait is far enough outside the history to act on (8: about one in 10^8 for a healthy firewall).</param>
/// <param name="MinSamples">Samples of a phase needed before its history judges; until then only the fixed timeout applies.</param>
/// <param name="WindowSize">Latest samples kept per phase: a firewall that slows gradually is followed, not tripped.</param>
/// <param name="MinStdDeviation">Floor of the deviation: a firewall that always answers in 1 ms is not judged on microseconds.</param>
/// <param name="AcceptablePause">Added to the mean before φ is computed (a GC pause, a busy moment of the firewall or of this node).</param>
public sealed record LatencyPolicy(double PhiThreshold, int MinSamples, int WindowSize, TimeSpan MinStdDeviation, TimeSpan AcceptablePause)
{
    /// <summary>The defaults of the reference configuration.</summary>
    public static LatencyPolicy Default { get; } = new(
        PhiThreshold: 8, MinSamples: 20, WindowSize: 200, MinStdDeviation: TimeSpan.FromMilliseconds(100), AcceptablePause: TimeSpan.FromMilliseconds(500));
}
