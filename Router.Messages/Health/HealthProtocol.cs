using System.Text.Json.Serialization;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Messages.Health;

/// <summary>Connector → firewall: send me your status now and whenever it changes.</summary>
public sealed record SubscribeFirewall(string ConnectorId) : IRouterProtocol;

/// <summary>
/// Firewall → its connectors: whether it takes new work and how many deliveries it runs at once
/// (less than its pool during slow start, zero when tripped or drained).
/// </summary>
public sealed record FirewallStatus(string FirewallId, string State, bool AcceptsWork, int Capacity) : IRouterProtocol
{
    /// <summary>
    /// Which of the extensions a message may need (<see cref="MailExtensions"/>) the firewall offered on the last
    /// session this node opened to it; null until one was opened.
    /// </summary>
    public MailExtensions? Offers { get; init; }

    /// <summary>The firewall's <c>weight</c>: its share of each of its connectors' jobs against their other firewalls.</summary>
    public int Weight { get; init; } = 1;
}

/// <summary>One firewall of a connector as the router weighs it for a message that needs extensions.</summary>
/// <param name="Offers">What its last session offered (<see cref="FirewallStatus.Offers"/>); null: not known yet.</param>
public sealed record FirewallOffer(string FirewallId, bool AcceptsWork, MailExtensions? Offers);

/// <summary>
/// Connector → router: whether any firewall of this connector takes work. A connector that is not
/// usable hands its waiting jobs back in the same message (<see cref="Returned"/>), so the router
/// marks it down and places them elsewhere in one turn.
/// </summary>
public sealed record ConnectorStatus(string ConnectorId, bool Usable) : IRouterProtocol
{
    /// <summary>Jobs the connector can no longer deliver, to be placed elsewhere at once (empty when usable).</summary>
    public IReadOnlyList<DeliveryJob> Returned { get; init; } = [];

    /// <summary>The connector's load after the jobs were returned.</summary>
    public ConnectorLoad Load { get; init; } = ConnectorLoad.None;

    /// <summary>
    /// Its firewalls, whether each takes work and what each offers: the router places a message that needs
    /// SMTPUTF8, 8BITMIME or REQUIRETLS where a firewall offers it. Sent again whenever one of these changes.
    /// </summary>
    public IReadOnlyList<FirewallOffer> Firewalls { get; init; } = [];
}

/// <summary>
/// Published on the event stream (and later to the cluster) on every health transition of a
/// firewall, for the operator client, metrics and the demo. <see cref="OpenFor"/> is set on a trip.
/// </summary>
public sealed record FirewallStateChanged(
    string FirewallId,
    string Node,
    IReadOnlyList<string> Connectors,
    string From,
    string To,
    string Reason,
    DateTimeOffset At,
    TimeSpan? OpenFor) : IRouterProtocol;

/// <summary>What an operator does to a firewall. On the wire (and for operators) by its lowercase name.</summary>
public enum FirewallAction
{
    /// <summary>Open the circuit now: no new work until it has been open its time and a probe succeeds.</summary>
    [JsonStringEnumMemberName("trip")]
    Trip,

    /// <summary>Back to healthy now, counters cleared.</summary>
    [JsonStringEnumMemberName("reset")]
    Reset,

    /// <summary>No new work; deliveries in flight finish.</summary>
    [JsonStringEnumMemberName("drain")]
    Drain,
}

/// <summary>Operator command for one firewall; the reply is its <see cref="FirewallSnapshot"/>.</summary>
public sealed record FirewallCommand(string FirewallId, FirewallAction Action) : IRouterProtocol;

/// <summary>Reply to any request for a firewall's state.</summary>
public sealed record FirewallSnapshot(
    string FirewallId,
    string Node,
    string State,
    DateTimeOffset Since,
    int ConsecutiveFailures,
    int Trips,
    int Busy,
    int Queued,
    long Delivered,
    long Failed,
    string Reason) : IRouterProtocol
{
    /// <summary>
    /// The EHLO keywords that decide delivery (SMTPUTF8, 8BITMIME, CHUNKING, DSN, SIZE n, REQUIRETLS)
    /// the firewall offered on the last session this node opened to it; null before the first.
    /// </summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>The learnt latencies and current thresholds per step (null from a node without the detector).</summary>
    public IReadOnlyList<FirewallPhaseLatency>? Latencies { get; init; }

    /// <summary>Jobs this node hedged away from the firewall: a wait before any data ran far past its history (issue 18).</summary>
    public long Hedged { get; init; }

    /// <summary>When this node last saw the firewall work (a delivery or a probe succeeded); null if never (issue 17).</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>When the firewall last tripped on this node; null if never.</summary>
    public DateTimeOffset? LastTrip { get; init; }

    /// <summary>This node's part of the firewall's connection and rate budgets (null from a node before it).</summary>
    public FirewallShare? Share { get; init; }
}

/// <summary>
/// A firewall's limits on one node: in a cluster, <c>max-connections</c>, <c>max-message-rate</c> and
/// <c>max-connection-rate</c> are budgets for the whole cluster, divided among <paramref name="Nodes"/> (the Up,
/// reachable members and the node itself); on a single node the part is the whole.
/// </summary>
/// <param name="MaxConnections">This node's pool: connections it opens at most.</param>
/// <param name="BudgetConnections">The configured <c>max-connections</c>.</param>
/// <param name="Nodes">The nodes the budgets are divided among; 0 on a cluster node that has not joined yet (it takes <c>min-connections-per-node</c>).</param>
public sealed record FirewallShare(int MaxConnections, int BudgetConnections, int Nodes)
{
    /// <summary>This node's part of <c>max-message-rate</c> ("200/m"); null: unlimited.</summary>
    public string? MessageRate { get; init; }

    /// <summary>The configured <c>max-message-rate</c>; null: unlimited.</summary>
    public string? BudgetMessageRate { get; init; }

    /// <summary>This node's part of <c>max-connection-rate</c>; null: unlimited.</summary>
    public string? ConnectionRate { get; init; }

    /// <summary>The configured <c>max-connection-rate</c>; null: unlimited.</summary>
    public string? BudgetConnectionRate { get; init; }
}

/// <summary>
/// The firewall tripped on another node (issue 17): it is the same firewall, so a node that still
/// sees it healthy makes it suspect and probes it before trusting it again.
/// </summary>
public sealed record PeerFirewallTripped(string FirewallId, string Node, string Reason) : IRouterProtocol;

/// <summary>Ask a firewall actor for its <see cref="FirewallSnapshot"/>.</summary>
public sealed record GetFirewallSnapshot : IRouterProtocol
{
    public static GetFirewallSnapshot Instance { get; } = new();
}
