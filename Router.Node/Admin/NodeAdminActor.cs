using Akka.Actor;
using Akka.Event;
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
        Receive<ShowNodeMessage>(request => operations.LocalShowAsync(request, CancellationToken.None).PipeTo(Sender));
        Receive<ExportNodeMessage>(request => operations.LocalChunkAsync(request, CancellationToken.None).PipeTo(Sender));
        Receive<NodeQueueCommand>(command =>
        {
            // The routing actor logs what the command did; this line says who asked (which node's admin API).
            if (Sender.Path.Address.HasGlobalScope)
                Context.GetLogger().Info("Operator queue command {0} {1} from {2}", command.Action, command.Id ?? "(all)", command.RequestedBy);
            operations.LocalCommandAsync(command, CancellationToken.None).PipeTo(Sender);
        });
    }

    public static Props Props(ClusterOperations operations) => Akka.Actor.Props.Create(() => new NodeAdminActor(operations));
}
