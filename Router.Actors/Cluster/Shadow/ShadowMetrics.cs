using Prometheus;
using Router.Actors.Observability;

namespace Router.Actors.Cluster.Shadow;

/// <summary>The shadow redundancy series of one node, in its <see cref="RouterMetrics"/> registry.</summary>
public sealed class ShadowMetrics
{
    private readonly Counter.Child _stored;
    private readonly Counter.Child _failed;
    private readonly Counter.Child _notNeeded;
    private readonly Histogram _ackSeconds;
    private readonly Counter _promoted;
    private readonly Counter _discarded;
    private readonly Counter _retired;
    private readonly Counter _batches;
    private readonly Counter _batchCopies;

    /// <summary>The <c>transport</c> label of batches sent straight over TCP (<see cref="ShadowSocketLink"/>).</summary>
    public const string SocketTransport = "socket";

    /// <summary>The <c>transport</c> label of batches sent through Akka remoting (<see cref="ShadowLinkActor"/>).</summary>
    public const string RemotingTransport = "remoting";

    public ShadowMetrics(RouterMetrics metrics)
    {
        var factory = metrics.Factory;
        var copies = factory.CreateCounter("router_shadow_copies_total",
            "Shadow copies before a 250, by result: stored (a peer fsync'd it), failed (no acknowledgement in time) or not_needed " +
            "(the message left this node, delivered or bounced, within router.shadow-deliver-first, so none was sent).", ["result"]);
        _stored = copies.WithLabels("stored");
        _failed = copies.WithLabels("failed");
        _notNeeded = copies.WithLabels("not_needed");
        _ackSeconds = factory.CreateHistogram("router_shadow_ack_seconds",
            "Time from sending a shadow copy to the peer's acknowledgement.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        _promoted = factory.CreateCounter("router_shadow_promoted_total", "Shadow copies of lost nodes that this node took into its own queue.");
        _discarded = factory.CreateCounter("router_shadow_discarded_total", "Shadow copies this node held and dropped because the owner delivered (or came back).");
        _retired = factory.CreateCounter("router_shadow_retired_recipients_total",
            "Recipients taken out of shadow copies this node holds because their owner handed them to a peer (which delivers them).");
        _batches = factory.CreateCounter("router_shadow_batches_total",
            "Batches of shadow copies this node sent to peers, by transport: socket (router.shadow-port) or remoting.", ["transport"]);
        _batchCopies = factory.CreateCounter("router_shadow_batched_copies_total",
            "Shadow copies in the batches of router_shadow_batches_total, by transport (copies per batch = this / that).", ["transport"]);
    }

    public void Stored(TimeSpan took)
    {
        _stored.Inc();
        _ackSeconds.Observe(took.TotalSeconds);
    }

    public void Failed() => _failed.Inc();

    public void NotNeeded() => _notNeeded.Inc();

    public void BatchSent(string transport, int copies)
    {
        _batches.WithLabels(transport).Inc();
        _batchCopies.WithLabels(transport).Inc(copies);
    }

    public void Promoted(int count) => _promoted.Inc(count);

    public void Discarded(int count) => _discarded.Inc(count);

    public void Retired(int recipients)
    {
        if (recipients > 0)
            _retired.Inc(recipients);
    }
}
