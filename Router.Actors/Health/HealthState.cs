namespace Router.Actors.Health;

/// <summary>The circuit-breaker state of one firewall as seen from one node.</summary>
public enum HealthState
{
    /// <summary>Takes work.</summary>
    Healthy,
    /// <summary>Has failed recently but fewer than trip-after times in a row; still takes work, probed often.</summary>
    Suspect,
    /// <summary>Open circuit: no work at all until open-for has passed.</summary>
    Tripped,
    /// <summary>Half-open: open-for has passed; a probe decides between Healthy and Tripped again.</summary>
    Probing,
    /// <summary>An operator stopped new work; in-flight deliveries finish.</summary>
    Drained,
}
