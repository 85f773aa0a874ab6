using Router.Messages.Health;

using Router.Actors.Routing;

namespace Router.Actors.Cluster;

/// <summary>
/// Picks the peer that takes mail this node should not deliver itself, from the cluster's health
/// view: a reachable node other than this one that shows a healthy firewall of a connector of the
/// tier. Peers take turns (round robin); a peer that just failed a handover is left out for a while.
/// Connector and firewall ids are the same on every node, so "a healthy firewall of a connector of
/// the tier" on a peer means that peer can deliver the tier. Pure: no actors, no clock of its own.
/// Healthy is evidence, not the absence of bad news (issue 17): the peer must have seen the firewall
/// work (a delivery or a probe succeeded) after the latest trip of that firewall on any node, this one
/// included. A firewall a peer never tried, or last saw working before it tripped elsewhere, is not a
/// reason to hand mail over: it may be the same dead firewall, and the mail would only be chased from
/// node to node. A peer that sees the firewall work again after the trip (it probes at once when it
/// hears of the trip) is a target again: the firewall is dead for this node's path only.
/// </summary>
public sealed class SpillOverPlanner(IReadOnlyDictionary<string, IReadOnlyList<string>> firewallsOfConnector, string selfAddress)
{
    /// <summary>How long a peer that failed a handover gets none.</summary>
    public static readonly TimeSpan AvoidFor = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, DateTimeOffset> _avoidUntil = new(StringComparer.Ordinal);
    // Peer address → its healthy firewall ids, from the latest view.
    private Dictionary<string, HashSet<string>> _healthy = new(StringComparer.Ordinal);
    private List<string> _peers = [];
    private int _turn;

    /// <summary>Takes a new view; true when the healthy capacity it shows changed (mail waiting for a path may now have one).</summary>
    public bool Update(ClusterHealthView view)
    {
        var unreachable = view.UnreachableNodes.ToHashSet(StringComparer.Ordinal);
        var latestTrip = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var entry in view.Firewalls)
        {
            if (entry.LastTrip is { } trip && (!latestTrip.TryGetValue(entry.FirewallId, out var seen) || trip > seen))
                latestTrip[entry.FirewallId] = trip;
        }
        var healthy = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var peers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in view.Firewalls)
        {
            if (entry.Address == selfAddress || unreachable.Contains(entry.Address))
                continue;
            peers.Add(entry.Address);
            if (entry.State != "healthy" || !IsEvidence(entry, latestTrip))
                continue;
            if (!healthy.TryGetValue(entry.Address, out var ids))
                healthy[entry.Address] = ids = new HashSet<string>(StringComparer.Ordinal);
            ids.Add(entry.FirewallId);
        }

        var changed = healthy.Count != _healthy.Count
            || healthy.Any(h => !_healthy.TryGetValue(h.Key, out var before) || !before.SetEquals(h.Value));
        _healthy = healthy;
        _peers = [.. peers];
        return changed;
    }

    /// <summary>The entry shows the firewall working on its node after its latest trip anywhere.</summary>
    private static bool IsEvidence(FirewallHealthEntry entry, Dictionary<string, DateTimeOffset> latestTrip) =>
        entry.LastSuccess is { } success && (!latestTrip.TryGetValue(entry.FirewallId, out var trip) || success > trip);

    /// <summary>Peers reachable now (whatever their firewalls' health), for a node that is leaving.</summary>
    public IReadOnlyList<string> Peers => _peers;

    /// <summary>A peer with a healthy firewall of a connector of <paramref name="tier"/>, taking turns; null when none.</summary>
    public string? PeerFor(RouteTier tier, DateTimeOffset now) =>
        Next(_healthy.Where(h => tier.ConnectorIds.Any(c => firewallsOfConnector.TryGetValue(c, out var fws) && fws.Any(h.Value.Contains)))
            .Select(h => h.Key), now);

    /// <summary>Any reachable peer, taking turns; null when this node is alone.</summary>
    public string? AnyPeer(DateTimeOffset now) => Next(_peers, now);

    /// <summary>Leaves a peer out until <paramref name="until"/> (it refused or did not answer a handover).</summary>
    public void Avoid(string peer, DateTimeOffset until) => _avoidUntil[peer] = until;

    private string? Next(IEnumerable<string> candidates, DateTimeOffset now)
    {
        var usable = candidates.Where(p => !_avoidUntil.TryGetValue(p, out var until) || until <= now).Order(StringComparer.Ordinal).ToArray();
        if (usable.Length == 0)
            return null;
        return usable[(int)((uint)_turn++ % (uint)usable.Length)];
    }
}
