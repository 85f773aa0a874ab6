using Router.Actors.Configuration;

namespace Router.Actors.Health;

/// <summary>The thresholds and timings of one firewall's circuit breaker.</summary>
/// <param name="TripAfter">Consecutive failures (or transient rejections of different messages) that trip it.</param>
/// <param name="OpenFor">How long it stays tripped the first time; doubles on each re-trip.</param>
/// <param name="MaxOpenFor">Ceiling of the doubling.</param>
/// <param name="SlowStart">After recovery, capacity ramps from one connection to the full pool over this time.</param>
/// <param name="StableAfter">Healthy this long after a recovery, the doubling starts again from <paramref name="OpenFor"/>.</param>
public sealed record HealthPolicy(int TripAfter, TimeSpan OpenFor, TimeSpan MaxOpenFor, TimeSpan SlowStart, TimeSpan StableAfter)
{
    public static HealthPolicy From(FirewallOptions firewall) =>
        new(firewall.TripAfter, firewall.OpenFor, firewall.MaxOpenFor, firewall.SlowStart, StableAfter: TimeSpan.FromMinutes(1));

    /// <summary>Open time after the n-th trip in a row (n ≥ 1).</summary>
    public TimeSpan OpenTime(int trips)
    {
        var doublings = Math.Clamp(trips - 1, 0, 20);
        var ticks = OpenFor.Ticks * (1L << doublings);
        return TimeSpan.FromTicks(Math.Min(ticks, Math.Max(MaxOpenFor.Ticks, OpenFor.Ticks)));
    }
}
