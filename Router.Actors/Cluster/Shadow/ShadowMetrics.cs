using Prometheus;
using Router.Actors.Observability;

namespace Router.Actors.Cluster.Shadow;

/// <summary>The shadow redundancy series of one node, in its <see cref="RouterMetrics"/> registry.</summary>
public sealed class ShadowMetrics
{
    private readonly Counter.Child _stored;
    private readonly Counter.Child _failed;
    private readonly Histogram _ackSeconds;
    private readonly Counter _promoted;
    private readonly Counter _discarded;
    private readonly Counter _retired;

    public ShadowMetrics(RouterMetrics metrics)
    {
        var factory = metrics.Factory;
        var copies = factory.CreateCounter("router_shadow_copies_total",
            "Shadow copies sent to a peer before a 250, by result: stored (the peer fsync'd it) or failed (no acknowledgement in time).", ["result"]);
        _stored = copies.WithLabels("stored");
        _failed = copies.WithLabels("failed");
        _ackSeconds = factory.CreateHistogram("router_shadow_ack_seconds",
            "Time from sending a shadow copy to the peer's acknowledgement.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        _promoted = factory.CreateCounter("router_shadow_promoted_total", "Shadow copies of lost nodes that this node took into its own queue.");
        _discarded = factory.CreateCounter("router_shadow_discarded_total", "Shadow copies this node held and dropped because the owner delivered (or came back).");
        _retired = factory.CreateCounter("router_shadow_retired_recipients_total",
            "Recipients taken out of shadow copies this node holds because their owner handed them to a peer (which delivers them).");
    }

    public void Stored(TimeSpan took)
    {
        _stored.Inc();
        _ackSeconds.Observe(took.TotalSeconds);
    }

    public void Failed() => _failed.Inc();

    public void Promoted(int count) => _promoted.Inc(count);

    public void Discarded(int count) => _discarded.Inc(count);

    public void Retired(int recipients)
    {
        if (recipients > 0)
            _retired.Inc(recipients);
    }
}
