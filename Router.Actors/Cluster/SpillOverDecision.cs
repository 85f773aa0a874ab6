using Router.Actors.Configuration;

using Router.Actors.Routing;

namespace Router.Actors.Cluster;

/// <summary>A part goes to <paramref name="Peer"/> instead of a local connector, for <paramref name="Reason"/>.</summary>
public sealed record Handover(string Peer, string Reason);

/// <summary>
/// Whether a part is handed to a peer instead of placed here, beside <see cref="SpillOverPlanner"/>
/// which knows the peers. A peer is chosen when no connector of a tier better than the one picked
/// here (or of any tier, when nothing here is usable) is usable on this node but a peer shows a
/// healthy firewall in it; or when the picked tier's backlog here has reached the threshold (mail
/// that came from a peer is not moved on for backlog). Leaving, every part goes to a peer: one with
/// capacity in its tiers if any, else any. Pure: the router brings its view and the clock.
/// </summary>
public static class SpillOverDecision
{
    /// <param name="handovers">Times the part's message already moved between nodes.</param>
    /// <param name="picked">The local connector the tiers picked; null when none is usable here.</param>
    /// <param name="usable">Whether a local connector takes work.</param>
    /// <param name="load">A local connector's load.</param>
    public static Handover? Decide(SpillOverPlanner planner, SpillOverSettings settings, bool leaving, int handovers,
        IReadOnlyList<RouteTier> tiers, string? picked, Func<string, bool> usable, Func<string, int> load, DateTimeOffset now)
    {
        if (tiers.Count == 0)
            return null;
        if (leaving)
        {
            foreach (var tier in tiers)
            {
                if (planner.PeerFor(tier, now) is { } peer)
                    return new Handover(peer, $"this node is leaving; {peer} has a healthy firewall for {tier.Pattern};{tier.Cost}");
            }
            return planner.AnyPeer(now) is { } any ? new Handover(any, "this node is leaving") : null;
        }
        if (!settings.Enabled || handovers >= settings.MaxHandovers)
            return null;
        var rank = picked is null ? tiers.Count : Math.Max(0, IndexOfTier(tiers, picked));
        for (var i = 0; i < rank; i++)
        {
            if (planner.PeerFor(tiers[i], now) is { } peer)
                return new Handover(peer, $"no usable connector of tier {i + 1} ({tiers[i].Pattern};{tiers[i].Cost}) on this node; {peer} has a healthy firewall in it");
        }
        if (picked is null || handovers > 0 || settings.BacklogThreshold == 0)
            return null;
        var best = tiers[rank];
        var backlog = best.ConnectorIds.Where(usable).Sum(load);
        if (backlog < settings.BacklogThreshold)
            return null;
        return planner.PeerFor(best, now) is { } relief
            ? new Handover(relief, $"backlog of tier {rank + 1} here is {backlog} (threshold {settings.BacklogThreshold}); {relief} has a healthy firewall in it")
            : null;
    }

    private static int IndexOfTier(IReadOnlyList<RouteTier> tiers, string connector)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (tiers[i].ConnectorIds.Contains(connector))
                return i;
        }
        return -1;
    }
}
