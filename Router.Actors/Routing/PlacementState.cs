namespace Router.Actors.Routing;

/// <summary>Where one part of a queued message stands, as the router places it.</summary>
public enum PlacementState
{
    /// <summary>On a connector: waiting there, at a firewall, or being sent.</summary>
    Queued,

    /// <summary>Deferred by a firewall (or recovered so): waiting for its retry time.</summary>
    Deferred,

    /// <summary>No usable connector anywhere: waiting for a path to recover.</summary>
    Parked,

    /// <summary>On its way to a peer node (spill-over or a leaving node).</summary>
    HandingOver,

    /// <summary>Held by an operator (the message, its connector, or all outbound mail): not sent until released.</summary>
    Held,
}

/// <summary>The operator-facing names of <see cref="PlacementState"/> (the admin API's and the client's "state").</summary>
public static class PlacementStateNames
{
    /// <summary>queued, deferred, parked, handing-over, held.</summary>
    public static string Name(this PlacementState state) => state switch
    {
        PlacementState.Queued => "queued",
        PlacementState.Deferred => "deferred",
        PlacementState.Parked => "parked",
        PlacementState.HandingOver => "handing-over",
        PlacementState.Held => "held",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Reads an operator's state filter, case-insensitively.</summary>
    public static bool TryParse(string? name, out PlacementState state)
    {
        foreach (var candidate in Enum.GetValues<PlacementState>())
        {
            if (string.Equals(candidate.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }
}
