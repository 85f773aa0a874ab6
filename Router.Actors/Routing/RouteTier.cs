namespace Router.Actors.Routing;

/// <summary>
/// The connectors that share the load for a domain at one level of preference: they matched it with
/// the same address-space pattern at the same cost. A later tier is only used when a whole earlier
/// tier is down.
/// </summary>
/// <param name="Pattern">The normalised pattern all these connectors matched with.</param>
/// <param name="Cost">Their common cost.</param>
/// <param name="ConnectorIds">Sorted ordinally, so that the same configuration always gives the same tiers.</param>
public sealed record RouteTier(string Pattern, int Cost, IReadOnlyList<string> ConnectorIds)
{
    // Value equality over the connector list too, so that two resolutions of the same domain compare equal.
    public bool Equals(RouteTier? other) =>
        other is not null
        && Pattern == other.Pattern
        && Cost == other.Cost
        && ConnectorIds.SequenceEqual(other.ConnectorIds, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Pattern, Cost, ConnectorIds.Count);

    public override string ToString() => $"{Pattern};{Cost} -> [{string.Join(", ", ConnectorIds)}]";
}
