using System.Text.Json;
using System.Text.Json.Serialization;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Node.Admin;

// The admin API's JSON shapes (camelCase), shared by the endpoint and the operator client.

/// <summary>The JSON settings of the admin API: camelCase, web defaults, nulls left out.</summary>
public static class AdminJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>For <c>--json</c> output: the same settings, indented.</summary>
    public static JsonSerializerOptions Indented { get; } = new(Options)
    {
        WriteIndented = true,
        // For a terminal or a script, not for embedding in HTML: keep '+' and '<' readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>Every error answer: one line.</summary>
public sealed record ApiError(string Error);

/// <summary><c>GET /api</c>: who answers, and the routes it serves.</summary>
public sealed record NodeInfo(string Node, string Address, DateTimeOffset UpSince, IReadOnlyList<string> Routes)
{
    /// <summary>The configuration in force: its file, the file's SHA-256 and when it was loaded (start-up or the last applied reload).</summary>
    public ConfigInfo? Config { get; init; }
}

/// <summary>A node's loaded configuration (<c>GET /api</c>).</summary>
/// <param name="RoutingHash">SHA-256 over its firewall and connector sections as validated (defaults applied).</param>
public sealed record ConfigInfo(string? Path, string Hash, string RoutingHash, DateTimeOffset LoadedAt);

/// <summary><c>GET /api/cluster</c>. Until clustering exists the node is a cluster of one, its own leader.</summary>
public sealed record ClusterView(string Self, string? Leader, bool Clustered, IReadOnlyList<MemberView> Members);

public sealed record MemberView(string Address, string Node, string Status, IReadOnlyList<string> Roles, bool Reachable, bool Leader, bool Self, DateTimeOffset UpSince)
{
    /// <summary>SHA-256 of the member's configuration file, as it publishes it in the health view (null: not known yet).</summary>
    public string? ConfigHash { get; init; }

    /// <summary>SHA-256 of the member's firewall and connector sections.</summary>
    public string? RoutingHash { get; init; }

    /// <summary>Its firewall and connector sections differ from those of the node asked.</summary>
    public bool RoutingDiffers { get; init; }

    /// <summary>Messages in its spool with a recipient pending, as it answered now (null: it did not answer).</summary>
    public int? Queued { get; init; }

    /// <summary>Messages accepted at its SMTP edge per second over the last <see cref="RateSeconds"/> (10 s once it has sampled that long).</summary>
    public double? AcceptedPerSecond { get; init; }

    /// <summary>Recipients delivered to a firewall per second over the same time.</summary>
    public double? DeliveredPerSecond { get; init; }

    /// <summary>The time the rates are over, in seconds.</summary>
    public double? RateSeconds { get; init; }
}

/// <summary><c>GET /api/actors</c>: one actor and its children, down to the requested depth.</summary>
public sealed record ActorNode(string Path, string Name, IReadOnlyList<ActorNode> Children)
{
    /// <summary>Children left out because the depth limit was reached.</summary>
    public int Hidden { get; init; }
}

/// <summary>One firewall on one node: configuration and live health.</summary>
/// <param name="Busy">Deliveries running now, one per open SMTP connection in use (of <paramref name="MaxConnections"/>).</param>
/// <param name="MaxConnections">The node's pool: its part of <c>max-connections</c> (in a cluster a budget divided among the Up members; see <see cref="Share"/>); 0 when not known.</param>
/// <param name="Queued">Jobs handed to the firewall, waiting for a free connection.</param>
public sealed record FirewallView(
    string Id,
    string Node,
    string Host,
    int Port,
    IReadOnlyList<string> Connectors,
    string State,
    DateTimeOffset Since,
    int ConsecutiveFailures,
    int Trips,
    int Busy,
    int MaxConnections,
    int Queued,
    long Delivered,
    long Failed,
    string Reason)
{
    /// <summary>The EHLO keywords that decide delivery, as the firewall last offered them to the node (null: no session yet).</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>Learnt latencies (p50/p99) and current thresholds per step of a delivery attempt.</summary>
    public IReadOnlyList<Router.Messages.Health.FirewallPhaseLatency>? Latencies { get; init; }

    /// <summary>Jobs hedged away from the firewall: a wait before any data ran far past its latency history.</summary>
    public long Hedged { get; init; }

    /// <summary>The node's part of the firewall's connection and rate budgets: in a cluster they are the whole cluster's, divided among the Up members.</summary>
    public Router.Messages.Health.FirewallShare? Share { get; init; }
}

/// <summary>One connector: its routes and the router's view of it.</summary>
/// <param name="AddressSpaces"><c>pattern;cost</c>, as configured.</param>
/// <param name="State">usable, down (no firewall takes work), suspended (by an operator).</param>
/// <param name="RedirectTo">Connector its mail goes to instead, by an operator redirect of one of its firewalls.</param>
/// <param name="Redirects">Operator redirects of its firewalls: firewall → connector.</param>
public sealed record ConnectorView(
    string Id,
    IReadOnlyList<string> AddressSpaces,
    IReadOnlyList<string> Firewalls,
    string State,
    int Backlog,
    string? RedirectTo,
    IReadOnlyDictionary<string, string> Redirects);

/// <summary><c>GET /api/queue</c>.</summary>
public sealed record QueueView(int Count, IReadOnlyList<QueueRow> Entries)
{
    /// <summary>In a cluster: the nodes whose queues are listed (by name), in order; null when not clustered.</summary>
    public IReadOnlyList<string>? Nodes { get; init; }

    /// <summary>In a cluster: members that are not listed, each with why (did not answer, refused the filter).</summary>
    public IReadOnlyList<string>? Problems { get; init; }
}

/// <summary>One part of a queued message (<see cref="QueueEntry"/>) and, in a cluster, the node whose queue holds it.</summary>
/// <param name="Node">The node's name; null when not clustered.</param>
public sealed record QueueRow(
    string? Node,
    string QueueId,
    string Sender,
    IReadOnlyList<string> Recipients,
    string State,
    string? Connector,
    DateTimeOffset? NextAttempt,
    int Attempts)
{
    public static QueueRow Of(string? node, QueueEntry e) => new(node, e.QueueId, e.Sender, e.Recipients, e.State, e.Connector, e.NextAttempt, e.Attempts);
}

/// <summary>Answer of every queue command: how many parts it touched (0 is not an error: commands are idempotent).</summary>
public sealed record CommandResult(string Command, int Affected, string Message)
{
    /// <summary>In a cluster: the node that acted, when one did (the one holding the queue id, or the one named by <c>--node</c>).</summary>
    public string? Node { get; init; }

    /// <summary>In a cluster: each member's answer (for a queue id, those that hold it); status 200 acted, others did not.</summary>
    public IReadOnlyList<Router.Messages.Cluster.NodeCommandResult>? Nodes { get; init; }
}

/// <summary><c>GET /api/route/{address}</c>: the router's explanation plus the health of every candidate firewall.</summary>
public sealed record RouteTest(RouteExplanation Route, IReadOnlyList<FirewallView> Firewalls);

/// <summary>
/// One event of <c>GET /api/tail</c> (server-sent events): <paramref name="Type"/> is <c>firewall</c>
/// (a health transition) or a routing event's kind (<c>rerouted</c>, <c>connector-down</c>,
/// <c>connector-usable</c>, <c>parked</c>, <c>operator</c>); <paramref name="Event"/> is the event as published.
/// </summary>
public sealed record TailEvent(string Type, DateTimeOffset At, string Subject, string Text, JsonElement? Event);
