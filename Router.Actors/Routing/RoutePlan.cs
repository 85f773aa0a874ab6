namespace Router.Actors.Routing;

/// <summary>
/// The ordered tiers one group of recipients resolved to, with a stable key so that recipients of
/// different domains that route the same way travel in one SMTP transaction.
/// </summary>
public sealed record RoutePlan(string Key, IReadOnlyList<RouteTier> Tiers)
{
    public static RoutePlan From(IReadOnlyList<RouteTier> tiers) =>
        new(string.Join('|', tiers.Select(t => $"{t.Cost}:{string.Join(',', t.ConnectorIds)}")), tiers);
}
