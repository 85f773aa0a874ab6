namespace Router.Actors.Routing;

/// <summary>
/// Picks the connector for a job among the usable connectors of the best tier: of two chosen at random ("power of
/// two choices", which spreads load evenly without the herd effect of always picking the global minimum), the one
/// that would finish its jobs sooner at its recent pace, or, while either has no pace to judge by, the one with the
/// smaller backlog.
/// </summary>
public sealed class ConnectorChooser(Random random)
{
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
            if (drainSeconds?.Invoke(a) is { } drainA && drainSeconds(b) is { } drainB)
                return drainA <= drainB ? a : b;
            return backlog(a) <= backlog(b) ? a : b;
        }
        return null;
    }
}
