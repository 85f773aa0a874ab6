using Akka.Actor;
using Router.Messages.Cluster;

namespace Router.Node.Admin;

/// <summary>
/// <c>/user/node-admin</c>: how another member's admin API (or this node's, for a cluster-wide request) reaches this
/// node's queue and figures (<see cref="ClusterOperations"/>). Each request is answered from a task piped back, so a
/// slow one (a routing actor busy placing mail) does not hold up the others.
/// </summary>
public sealed class NodeAdminActor : ReceiveActor
{
    public const string Name = "node-admin";

    public NodeAdminActor(ClusterOperations operations)
    {
        Receive<GetNodeStatus>(_ => Sender.Tell(operations.LocalStatus()));
        Receive<ListNodeQueue>(request => operations.LocalQueueAsync(request, CancellationToken.None).PipeTo(Sender));
        Receive<NodeQueueCommand>(command => operations.LocalCommandAsync(command, CancellationToken.None).PipeTo(Sender));
    }

    public static Props Props(ClusterOperations operations) => Akka.Actor.Props.Create(() => new NodeAdminActor(operations));
}
