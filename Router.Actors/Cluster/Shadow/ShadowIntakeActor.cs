using Akka.Actor;
using Akka.Event;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The holder's side of the shadow copy path (<c>/user/shadow-intake</c>): stores each <see cref="ShadowBatch"/> a
/// peer's <see cref="ShadowLinkActor"/> sends into that owner's shadow spool (all copies of a batch in one group
/// commit: one write, one fsync) and answers <see cref="ShadowBatchStored"/> once they are durable. It also tells owners
/// where this node takes copies straight over TCP (<see cref="ShadowEndpointQuery"/>), the path they prefer.
/// </summary>
public sealed class ShadowIntakeActor : ReceiveActor
{
    public const string Name = "shadow-intake";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageTracing _tracing = RouterTelemetry.Get(Context.System).Tracing;

    /// <param name="endpoint">Where this node takes copies over TCP (<see cref="ShadowSocketServer"/>); null: remoting only.</param>
    public ShadowIntakeActor(ShadowStore store, ShadowEndpoint? endpoint = null)
    {
        Receive<ShadowEndpointQuery>(_ => Sender.Tell(endpoint ?? new ShadowEndpoint(0, string.Empty)));
        Receive<ShadowBatch>(batch =>
        {
            store.StoreBatchAsync(batch, _tracing).PipeTo(Sender);
            if (_log.IsDebugEnabled)
                _log.Debug("Storing {0} shadow cop(ies) from {1} (batch {2})", batch.Copies.Count, batch.Owner, batch.BatchId);
        });
    }

    public static Props Props(ShadowStore store, ShadowEndpoint? endpoint = null) => Akka.Actor.Props.Create(() => new ShadowIntakeActor(store, endpoint));
}
