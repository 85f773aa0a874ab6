using System.Collections.Immutable;
using Router.Actors.Configuration;

namespace Router.Actors.Health;

/// <summary>
/// One node's part of a firewall's limits: the pool size and the sending rates this node enforces, and how many
/// nodes the cluster budget is divided among (1 on a single node, where the part is the whole; 0 on a cluster node
/// that has not joined yet).
/// </summary>
public sealed record FirewallLimits(int MaxConnections, SendingRate? MessageRate, SendingRate? ConnectionRate, int Nodes);

/// <summary>
/// In a cluster a firewall's <c>max-connections</c>, <c>max-message-rate</c> and <c>max-connection-rate</c> are budgets
/// for the whole cluster (issues 17 and 20): the firewall is one machine, whatever number of routers talk to it. Each
/// node takes its part of them from the members it counts (<see cref="ClusterMembers"/>). Pure.
/// </summary>
public static class ClusterBudget
{
    /// <summary>
    /// The part of node <paramref name="index"/> (0-based, in address order) of <paramref name="nodes"/>:
    /// connections are the budget divided evenly, the remainder one each to the first nodes in address order, so the
    /// parts add up to the budget exactly, but never under <c>min-connections-per-node</c> (then they add up to more);
    /// rates are divided evenly (fractions kept: a token bucket takes them).
    /// </summary>
    public static FirewallLimits Divide(FirewallOptions firewall, int nodes, int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, nodes);
        return new FirewallLimits(
            Connections(firewall.MaxConnections, nodes, index, firewall.MinConnectionsPerNode),
            Rate(firewall.MaxMessageRate, nodes),
            Rate(firewall.MaxConnectionRate, nodes),
            nodes);
    }

    /// <summary>The whole budget: a single node, or a cluster node before it knows the members.</summary>
    public static FirewallLimits Whole(FirewallOptions firewall) => Divide(firewall, 1, 0);

    /// <summary>
    /// The part of a cluster node that has not joined yet (it knows no members, not even itself): it cannot tell how
    /// many share the budget, and its recovered mail must not take the whole of it while the others hold theirs, so it
    /// takes <c>min-connections-per-node</c> and the same fraction of each rate. <see cref="FirewallLimits.Nodes"/> is 0.
    /// </summary>
    public static FirewallLimits BeforeJoining(FirewallOptions firewall)
    {
        var floor = Math.Min(Math.Max(firewall.MinConnectionsPerNode, 1), firewall.MaxConnections);
        var fraction = (double)floor / firewall.MaxConnections;
        return new FirewallLimits(floor, Scale(firewall.MaxMessageRate, fraction), Scale(firewall.MaxConnectionRate, fraction), 0);
    }

    private static SendingRate? Scale(SendingRate? rate, double fraction) =>
        rate is null || fraction >= 1 ? rate : rate with { Count = rate.Count * fraction };

    /// <summary><paramref name="budget"/> connections divided among <paramref name="nodes"/>; node <paramref name="index"/>'s part, at least <paramref name="floor"/>.</summary>
    public static int Connections(int budget, int nodes, int index, int floor)
    {
        var even = budget / nodes;
        var part = index < budget % nodes ? even + 1 : even;
        return Math.Max(Math.Max(floor, 1), part);
    }

    /// <summary>An even part of a rate; null (unlimited) stays unlimited.</summary>
    public static SendingRate? Rate(SendingRate? rate, int nodes) =>
        rate is null || nodes == 1 ? rate : rate with { Count = rate.Count / nodes };
}

/// <summary>
/// The members a node divides a firewall's budget among: the Up members it does not see unreachable, plus itself
/// always (a node delivers before it is Up and while it leaves, and must not count as zero). Kept from cluster events
/// by each firewall actor; the order is the addresses' ordinal order, the same on every node. Pure.
/// </summary>
/// <param name="Joined">The node has seen itself among the members (joining, Up, leaving): before that it knows no one.</param>
public sealed record ClusterMembers(string Self, ImmutableSortedSet<string> Up, ImmutableHashSet<string> Unreachable, bool Joined = false)
{
    public static ClusterMembers Alone(string self) => new(self, ImmutableSortedSet.Create<string>(StringComparer.Ordinal), []);

    /// <summary>A member's status (from the cluster state or any member event): counted while its status is Up.</summary>
    public ClusterMembers WithStatus(string address, bool up) =>
        this with { Up = up ? Up.Add(address) : Up.Remove(address), Joined = Joined || address == Self };

    /// <summary>The failure detector's verdict on a member.</summary>
    public ClusterMembers WithReachable(string address, bool reachable) =>
        this with { Unreachable = reachable ? Unreachable.Remove(address) : Unreachable.Add(address) };

    /// <summary>A member that is gone: neither counted nor remembered as unreachable.</summary>
    public ClusterMembers Without(string address) =>
        this with { Up = Up.Remove(address), Unreachable = Unreachable.Remove(address) };

    /// <summary>The nodes counted, in address order.</summary>
    public IReadOnlyList<string> Counted => Up.Where(a => !Unreachable.Contains(a)).Append(Self).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>How many nodes share the budget, and this node's place among them.</summary>
    public (int Nodes, int Index) Position()
    {
        var counted = Counted;
        return (counted.Count, IndexOf(counted, Self));
    }

    private static int IndexOf(IReadOnlyList<string> addresses, string address)
    {
        for (var i = 0; i < addresses.Count; i++)
            if (addresses[i] == address)
                return i;
        return -1;
    }
}
