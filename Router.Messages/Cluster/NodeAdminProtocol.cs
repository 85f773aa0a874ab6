using Router.Messages.Queue;

namespace Router.Messages.Cluster;

// Issue 17, "one router to operate": the admin API of any node reaches every member's queue and figures
// through each member's /user/node-admin, over Akka remoting (router cmd queue, queue retry|delete|hold|release,
// queue suspend|resume|redirect, cluster show). Each member answers for itself, checked against its own spool
// and configuration.

/// <summary>To a node's <c>/user/node-admin</c>: its queue depth, recent rates and configuration hashes. Answered with <see cref="NodeStatus"/>.</summary>
public sealed record GetNodeStatus : IRouterProtocol
{
    public static GetNodeStatus Instance { get; } = new();
}

/// <summary>One member's figures for <c>cluster show</c>.</summary>
/// <param name="Node">Its node name.</param>
/// <param name="Address">Its cluster address.</param>
/// <param name="Queued">Messages in its spool with a recipient pending.</param>
/// <param name="QueuedBytes">Bytes of those messages.</param>
/// <param name="AcceptedPerSecond">Messages accepted at its SMTP edge per second over the last <paramref name="RateSeconds"/>.</param>
/// <param name="DeliveredPerSecond">Recipients delivered to a firewall per second over the same time.</param>
/// <param name="RateSeconds">The time the rates are over: 10 s once the node has sampled that long (every 2 s), less just after start-up; 0: no rate yet.</param>
/// <param name="ConfigHash">SHA-256 of its configuration file as loaded (start-up or last applied reload): the same file gives the same hash.</param>
/// <param name="RoutingHash">SHA-256 of its firewall and connector sections as validated.</param>
/// <param name="UpSince">When its actor system started.</param>
public sealed record NodeStatus(
    string Node,
    string Address,
    int Queued,
    long QueuedBytes,
    double AcceptedPerSecond,
    double DeliveredPerSecond,
    double RateSeconds,
    string ConfigHash,
    string RoutingHash,
    DateTimeOffset UpSince) : IRouterProtocol;

/// <summary>To a node's <c>/user/node-admin</c>: its queue, filtered. Answered with <see cref="NodeQueueListing"/>.</summary>
public sealed record ListNodeQueue(ListQueue Query) : IRouterProtocol;

/// <summary>One member's queue.</summary>
/// <param name="Error">Set when the member refused the query (a connector or firewall it does not know); <paramref name="Entries"/> is then empty.</param>
public sealed record NodeQueueListing(string Node, string Address, IReadOnlyList<QueueEntry> Entries, string? Error) : IRouterProtocol;

/// <summary>
/// To a node's <c>/user/node-admin</c>: one operator queue command, checked and done there as its own admin API would
/// (the queue id against its own spool, ids against its own configuration). Answered with <see cref="NodeCommandResult"/>.
/// </summary>
/// <param name="Action">retry, delete, hold, release, suspend, resume, redirect or cancel-redirect.</param>
/// <param name="Id">The queue id (null: retry all), connector id (suspend, resume) or firewall id (redirect, cancel-redirect).</param>
/// <param name="To">redirect: the connector the firewall's mail goes to.</param>
/// <param name="Bounce">delete: its sender gets a bounce.</param>
/// <param name="RequestedBy">Who asked, for the log.</param>
public sealed record NodeQueueCommand(string Action, string? Id, string? To, bool Bounce, string RequestedBy) : IRouterProtocol;

/// <summary>One member's answer to <see cref="NodeQueueCommand"/>.</summary>
/// <param name="Status">As its admin API would have answered: 200 done, 404 unknown id (a queue id not in its spool), 409, 503.</param>
/// <param name="Command">The router's name for the command (retry, delete, hold, ...); the action when refused.</param>
/// <param name="Message">What was done, or why not.</param>
public sealed record NodeCommandResult(string Node, string Address, int Status, string Command, int Affected, string Message) : IRouterProtocol;

/// <summary>To a node's <c>/user/node-admin</c>: one queued message as <c>queue show</c> gives it. Answered with <see cref="NodeMessageShown"/>.</summary>
public sealed record ShowNodeMessage(string QueueId) : IRouterProtocol;

/// <summary>One member's <c>queue show</c> of a message: <paramref name="Status"/> 200 with <paramref name="Json"/> (its admin API's body), 404 when its spool does not hold it.</summary>
public sealed record NodeMessageShown(string Node, string Address, int Status, string Json) : IRouterProtocol;

/// <summary>
/// To a node's <c>/user/node-admin</c>: up to <paramref name="Length"/> bytes of a queued message's stored data from
/// <paramref name="Offset"/> (<c>queue export</c>, chunk by chunk under the remoting frame). Answered with <see cref="NodeMessageChunk"/>.
/// </summary>
public sealed record ExportNodeMessage(string QueueId, long Offset, int Length) : IRouterProtocol;

/// <summary>A chunk of a message's stored data: <paramref name="End"/> when no more follow; <paramref name="Status"/> 404 when the spool does not hold it.</summary>
public sealed record NodeMessageChunk(string Node, int Status, byte[] Data, bool End) : IRouterProtocol;
