namespace Router.Messages.Cluster;

/// <summary>
/// To a node's <c>/user/leave</c> (possibly from another node, for <c>router cmd cluster leave &lt;address&gt;</c>):
/// stop taking mail, hand the queue to the other nodes, then leave the cluster and stop. Answered with <see cref="LeaveStarted"/>.
/// </summary>
/// <param name="RequestedBy">Who asked, for the log.</param>
public sealed record LeaveNode(string RequestedBy) : IRouterProtocol;

/// <summary>The node has begun to leave: it is handing <paramref name="Queued"/> queued messages to its peers.</summary>
/// <param name="Address">The leaving node's address.</param>
/// <param name="AlreadyLeaving">It was already leaving (the request changed nothing).</param>
public sealed record LeaveStarted(string Address, int Queued, bool AlreadyLeaving) : IRouterProtocol;
