namespace Router.Actors.Routing;

/// <summary>
/// Picks the connector for a job among the usable connectors of the best tier: the one with the
/// smaller backlog of two chosen at random ("power of two choices"), which spreads load evenly
/// without the herd effect of always picking the global minimum.
/// </summary>
public sealed class ConnectorChooser(Random random)
{
    /// <param name="avoid">A connector to leave out if its tier has another usable one (a retry
    /// goes elsewhere); never a reason to fall to a worse tier.</param>
    public string? Choose(IReadOnlyList<RouteTier> tiers, Func<string, bool> usable, Func<string, int> backlog, string? avoid = null)
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
            return backlog(a) <= backlog(b) ? a : b;
        }
        return null;
    }
}
