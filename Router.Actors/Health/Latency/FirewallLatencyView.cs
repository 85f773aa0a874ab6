using Router.Actors.Configuration;
using Router.Messages.Health;

namespace Router.Actors.Health.Latency;

/// <summary>A firewall's <see cref="LatencyBook"/> as operators see it: per step, p50/p99 and the current threshold.</summary>
public static class FirewallLatencyView
{
    public static IReadOnlyList<FirewallPhaseLatency> From(LatencyBook book, FirewallOptions firewall) =>
        book.Snapshot(phase => FixedTimeout(phase, firewall))
            .Select(p => new FirewallPhaseLatency(Name(p.Phase), p.Samples, p.P50.TotalMilliseconds, p.P99.TotalMilliseconds, p.Threshold.TotalMilliseconds, p.Adaptive))
            .ToList();

    /// <summary>The fixed timeout that bounds each step: the upper bound of its adaptive threshold.</summary>
    public static TimeSpan FixedTimeout(DeliveryPhase phase, FirewallOptions firewall) => phase switch
    {
        DeliveryPhase.Connect => firewall.ConnectTimeout,
        DeliveryPhase.Greeting => firewall.GreetingTimeout,
        DeliveryPhase.Ehlo => firewall.CommandTimeout < firewall.GreetingTimeout ? firewall.CommandTimeout : firewall.GreetingTimeout,
        DeliveryPhase.StartTls => firewall.TlsHandshakeTimeout,
        DeliveryPhase.EndOfData => firewall.DataTimeout,
        _ => firewall.CommandTimeout,
    };

    private static string Name(DeliveryPhase phase) => phase switch
    {
        DeliveryPhase.StartTls => "starttls",
        DeliveryPhase.EndOfData => "end-of-data",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
