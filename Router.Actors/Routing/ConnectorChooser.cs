namespace Router.Actors.Routing;

/// <summary>
/// Picks the connector for a job among the usable connectors of the best tier: of two chosen at random ("power of
/// two choices", which spreads load evenly without the herd effect of always picking the global minimum), the one
/// with the smaller backlog; but when one of them would take far longer to finish what it holds at its recent pace
/// (at least <see cref="SignificantDrain"/>, and more than twice the other's), the other. A pace follows the jobs a
/// connector was given, so between two firewalls that keep up it would only reward the one that happened to get
/// more; it is a slow firewall's seconds per message that the backlog count cannot see.
/// </summary>
public sealed class ConnectorChooser(Random random)
{
    /// <summary>A wait to finish what a connector holds that is worth steering around (a firewall that keeps up drains in milliseconds).</summary>
    public const double SignificantDrain = 0.5;

    /// <param name="avoid">A connector to leave out if its tier has another usable one (a retry
    /// goes elsewhere); never a reason to fall to a worse tier.</param>
    /// <param name="drainSeconds">How long each connector would take to finish its jobs at its recent pace; null for one without a pace.</param>
    public string? Choose(IReadOnlyList<RouteTier> tiers, Func<string, bool> usable, Func<string, int> backlog, string? avoid = null,
        Func<string, double?>? drainSeconds = null)
    {
        foreach (var tier in tiers)
        {
            var candidates = tier.ConnectorIds.Where(usable).ToArray();
            if (avoid is not null && candidates.Length > 1 && candidates.Contains(avoid))
                candidates = candidates.Where(id => id != avoid).ToArray();
            switch (candidates.Length)
            {
                case 0:
                    continue;
                case 1:
                    return candidates[0];
            }
            var first = random.Next(candidates.Length);
            var second = random.Next(candidates.Length - 1);
            if (second >= first)
                second++;
            var a = candidates[first];
            var b = candidates[second];
            if (drainSeconds?.Invoke(a) is { } drainA && drainSeconds(b) is { } drainB
                && Math.Max(drainA, drainB) >= SignificantDrain && Math.Max(drainA, drainB) > 2 * Math.Min(drainA, drainB))
                return drainA <= drainB ? a : b;
            return backlog(a) <= backlog(b) ? a : b;
        }
        return null;
    }
}
