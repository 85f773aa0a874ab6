using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Router.Tests.Cluster;

/// <summary>Records every member its node marks unreachable ("address (seen by address)").</summary>
internal sealed class ReachabilityRecorder : ReceiveActor
{
    public ReachabilityRecorder(ConcurrentQueue<string> unreachable)
    {
        Receive<ClusterEvent.UnreachableMember>(m => unreachable.Enqueue($"{m.Member.Address} (seen by {Akka.Cluster.Cluster.Get(Context.System).SelfAddress})"));
        Receive<object>(_ => { });
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
