using Akka.Actor;
using Router.Actors.Cluster.Peers;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The owner's side of the shadow copy path (<c>/user/shadow-links</c>): one link per peer, each sending the copies
/// given to it as <see cref="ShadowBatch"/>es to that peer's <see cref="ShadowIntakeActor"/>. A link has at most
/// <see cref="MaxInFlight"/> batches on the way; copies that arrive meanwhile wait and leave together in the next
/// batch, so a quiet node sends each copy at once and a busy one sends many per remoting message, per holder write
/// and per holder fsync (the holder acknowledges a batch once all of it is durable). A batch without an answer within
/// the shadow timeout fails its copies (the replicator tries another peer). Copies whose caller stopped waiting are
/// dropped before they are sent.
/// </summary>
public sealed class ShadowLinkActor : ReceiveActor, IWithTimers
{
    public const string Name = "shadow-links";

    /// <summary>A batch's bytes stay under Akka remoting's 128,000-byte frame, with room for its framing.</summary>
    public const int MaxBatchBytes = 100_000;

    /// <summary>A copy larger than this goes through the chunked peer transfer (<see cref="PeerOutbox"/>) instead.</summary>
    public const int MaxCopyBytes = 64 * 1024;

    /// <summary>Batches a link has on the way at once.</summary>
    public const int MaxInFlight = 1;

    private readonly string _owner;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<Address, Link> _links = [];
    private readonly Dictionary<long, (Link Link, List<PendingCopy> Copies)> _inFlight = [];
    private readonly ShadowMetrics? _metrics;
    private long _nextBatch;

    public ShadowLinkActor(TimeSpan timeout, ShadowMetrics? metrics = null)
    {
        _metrics = metrics;
        _owner = PeerOutbox.OwnerOf(Context.System);
        _timeout = timeout;
        Receive<Copy>(copy =>
        {
            if (!_links.TryGetValue(copy.Peer, out var link))
                _links[copy.Peer] = link = new Link(copy.Peer);
            link.Waiting.Enqueue(new PendingCopy(copy.Item, copy.Done));
            Flush(link);
        });
        Receive<ShadowBatchStored>(stored =>
        {
            if (!_inFlight.Remove(stored.BatchId, out var batch))
                return; // answered after it timed out: its copies were failed already
            Timers.Cancel(stored.BatchId);
            ShadowBatching.Complete(batch.Copies, stored);
            batch.Link.InFlight--;
            Flush(batch.Link);
        });
        Receive<BatchTimedOut>(timedOut =>
        {
            if (!_inFlight.Remove(timedOut.BatchId, out var batch))
                return;
            foreach (var copy in batch.Copies)
                copy.Done.TrySetResult($"no acknowledgement from {batch.Link.Peer} within {_timeout.TotalSeconds:0.###}s");
            batch.Link.InFlight--;
            Flush(batch.Link);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan timeout, ShadowMetrics? metrics = null) => Akka.Actor.Props.Create(() => new ShadowLinkActor(timeout, metrics));

    /// <summary>The intake of the node at <paramref name="address"/>.</summary>
    public static ActorPath IntakePath(Address address) => new RootActorPath(address) / "user" / ShadowIntakeActor.Name;

    protected override void PostStop()
    {
        foreach (var (_, batch) in _inFlight)
        {
            foreach (var copy in batch.Copies)
                copy.Done.TrySetResult("the node is stopping");
        }

        foreach (var link in _links.Values)
        {
            while (link.Waiting.TryDequeue(out var copy))
                copy.Done.TrySetResult("the node is stopping");
        }
    }

    private void Flush(Link link)
    {
        while (link.InFlight < MaxInFlight && link.Waiting.Count > 0)
        {
            var copies = ShadowBatching.Take(link.Waiting);
            if (copies.Count == 0)
                return;
            var batchId = ++_nextBatch;
            _inFlight[batchId] = (link, copies);
            link.InFlight++;
            Timers.StartSingleTimer(batchId, new BatchTimedOut(batchId), _timeout);
            Context.ActorSelection(IntakePath(link.Peer)).Tell(new ShadowBatch(_owner, batchId, copies.Select(c => c.Item).ToArray()), Self);
            _metrics?.BatchSent(ShadowMetrics.RemotingTransport, copies.Count);
        }
    }

    /// <summary>
    /// Local only: send <paramref name="Item"/> to <paramref name="Peer"/>. <paramref name="Done"/> completes with null once
    /// the peer has it durably, or with the reason it has not; complete it yourself to withdraw a copy not sent yet.
    /// </summary>
    public sealed record Copy(Address Peer, ShadowCopy Item, TaskCompletionSource<string?> Done) : INoSerializationVerificationNeeded;

    private sealed record BatchTimedOut(long BatchId);

    private sealed class Link(Address peer)
    {
        public Address Peer { get; } = peer;

        public Queue<PendingCopy> Waiting { get; } = new();

        public int InFlight { get; set; }
    }
}
