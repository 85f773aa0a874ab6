using System.Text.Json.Serialization;

namespace Router.Messages.Health;

/// <summary>
/// One firewall as seen from one node, as every node publishes it into the cluster's health view.
/// Small on purpose: it is gossiped to every node.
/// </summary>
/// <param name="FirewallId">The firewall's id (the same firewall may be configured on several nodes).</param>
/// <param name="Node">The publishing node's name (router.node-name).</param>
/// <param name="Address">The publishing node's cluster address, or its name when it runs alone.</param>
/// <param name="State">healthy, suspect, tripped, probing or drained.</param>
/// <param name="Since">When the firewall entered <paramref name="State"/>.</param>
/// <param name="ConsecutiveFailures">Failures in a row counted by the breaker.</param>
/// <param name="Trips">Trips since the node started.</param>
/// <param name="Delivered">Attempts that delivered to at least one recipient, since the node started.</param>
/// <param name="Failed">Attempts that failed for at least one recipient, since the node started.</param>
/// <param name="Reason">Why it is in this state.</param>
public sealed record FirewallHealthEntry(
    string FirewallId,
    string Node,
    string Address,
    string State,
    DateTimeOffset Since,
    int ConsecutiveFailures,
    int Trips,
    long Delivered,
    long Failed,
    string Reason) : IRouterProtocol
{
    /// <summary>The key of this entry in the replicated map: one entry per node and firewall.</summary>
    [JsonIgnore]
    public string Key => $"{Address}/{FirewallId}";

    /// <summary>SHA-256 of the configuration file the node runs on (every entry of a node carries the same).</summary>
    public string? ConfigHash { get; init; }

    /// <summary>SHA-256 over the node's firewall and connector sections as validated: nodes that differ here route differently.</summary>
    public string? RoutingHash { get; init; }

    /// <summary>When the node last saw the firewall work (delivery or probe); null if never: no evidence for spill-over.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>When the firewall last tripped on the node; null if never.</summary>
    public DateTimeOffset? LastTrip { get; init; }

    public static FirewallHealthEntry From(FirewallSnapshot snapshot, string address) => new(
        snapshot.FirewallId, snapshot.Node, address, snapshot.State, snapshot.Since, snapshot.ConsecutiveFailures,
        snapshot.Trips, snapshot.Delivered, snapshot.Failed, snapshot.Reason)
    {
        LastSuccess = snapshot.LastSuccess,
        LastTrip = snapshot.LastTrip,
    };
}

/// <summary>Ask a node's health view for every firewall of every node; the answer is a <see cref="ClusterHealthView"/>.</summary>
public sealed record GetClusterHealthView : IRouterProtocol
{
    public static GetClusterHealthView Instance { get; } = new();
}

/// <summary>
/// The cluster's firewalls as this node knows them (eventually consistent: another node's change
/// arrives within a gossip round or two). Ordered by node address, then firewall id.
/// </summary>
/// <param name="Firewalls">One entry per node and firewall.</param>
/// <param name="UnreachableNodes">Addresses of nodes the cluster cannot reach now: their entries are the last they published.</param>
public sealed record ClusterHealthView(IReadOnlyList<FirewallHealthEntry> Firewalls, IReadOnlyList<string> UnreachableNodes) : IRouterProtocol;
