using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Peers;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Messages.Cluster;
using Router.Messages.Serialization;
using Envelope = Router.Messages.Envelope;

namespace Router.Actors.Cluster.Shadow;

/// <summary>The outcome of one shadow copy, as the accepting node sees it.</summary>
/// <param name="Holder">The peer that stored it, when stored.</param>
/// <param name="Error">Why no peer stored it.</param>
public sealed record ShadowResult(bool Stored, Address? Holder, string? Error);

/// <summary>
/// The owner's side of shadow redundancy: before a <c>250</c>, sends the stored bytes of a message to one peer (Up
/// and reachable members other than this node, in turn by runs of <see cref="RunLength"/> copies, so the copies spread
/// evenly) and waits for it to be durable
/// there, within <see cref="ShadowOptions.Timeout"/>. It remembers which peer holds which message and, when the
/// message leaves this node's spool (<see cref="MessageSpool.MessagesLeft"/>), has the copy discarded (batched by
/// <see cref="ShadowDiscardActor"/>). With <see cref="ShadowOptions.DeliverFirst"/> the ingress first gives the message
/// that long to leave (<see cref="Leaving"/>) and copies only what is still here. Safe to call from many threads.
/// </summary>
public sealed class ShadowReplicator
{
    private readonly ActorSystem _system;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly IActorRef _outbox;
    private readonly IActorRef _discards;
    private readonly IActorRef? _links;
    private readonly ShadowSocketLinks? _sockets;
    private readonly ShadowOptions _options;
    private readonly ShadowMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly MessageTracing _tracing;
    private readonly ConcurrentDictionary<string, Address> _holders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Deciding> _leaving = new(StringComparer.Ordinal);
    private int _next = -1;
    private PeersOf? _peers;

    /// <summary>Consecutive copies sent to the same peer before the next peer's turn.</summary>
    public const int RunLength = 16;

    public ShadowReplicator(ActorSystem system, IActorRef outbox, IActorRef discards, ShadowOptions options, ShadowMetrics? metrics, ILogger logger,
        IActorRef? links = null, ShadowSocketLinks? sockets = null)
    {
        _links = links;
        _sockets = links is null ? null : sockets;
        _system = system;
        _cluster = Akka.Cluster.Cluster.Get(system);
        _outbox = outbox;
        _discards = discards;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _tracing = RouterTelemetry.Get(system).Tracing;
    }

    public ShadowMode Mode => _options.Mode;

    /// <summary>Messages whose copy is on a peer (or may be: an attempt that timed out may still have landed).</summary>
    public int Tracked => _holders.Count;

    /// <summary>
    /// How long the <c>250</c> waits for the message to leave this node before its copy is made
    /// (<see cref="ShadowOptions.DeliverFirst"/>): zero with <c>required</c>, and when no peer is up (no copy can be
    /// made, so there is nothing to save by waiting).
    /// </summary>
    public TimeSpan DeliverFirst => _options.Mode == ShadowMode.Preferred && _options.DeliverFirst > TimeSpan.Zero && Peers().Count > 0
        ? _options.DeliverFirst
        : TimeSpan.Zero;

    /// <summary>
    /// Completes when <paramref name="queueId"/> leaves this node's spool (<see cref="Forget"/>), on the thread pool;
    /// to be called before the message is routed, and followed by <see cref="Unwatch"/>.
    /// </summary>
    public Task Leaving(string queueId)
    {
        var deciding = new Deciding();
        _leaving[queueId] = deciding;
        return deciding.Left.Task;
    }

    /// <summary>
    /// The holder a handover of <paramref name="recipients"/> names (<see cref="HolderOf"/>). While the message is
    /// watched (<see cref="Leaving"/>) its copy may not exist yet, or not have landed: the recipients are noted, and
    /// <see cref="RetireLeftAsync"/> retires them from the copy once it is stored.
    /// </summary>
    public Address? HolderForHandover(string queueId, IReadOnlyList<int> recipients)
    {
        if (_leaving.TryGetValue(queueId, out var deciding))
        {
            lock (deciding.HandedOver)
                deciding.HandedOver.AddRange(recipients);
        }

        return HolderOf(queueId);
    }

    /// <summary>
    /// After a copy made late (<see cref="ShadowOptions.DeliverFirst"/>): the copy holds every recipient, but some may
    /// have left this node meanwhile (<paramref name="stillHere"/> no longer lists them: delivered, bounced or handed
    /// over) or be on their way to a peer (<see cref="HolderForHandover"/>). The holder retires those, so a promotion
    /// would deliver only the others; the answer is awaited (before the 250). Failures are logged: a duplicate if this
    /// node is then lost, never a loss.
    /// </summary>
    public async Task RetireLeftAsync(string queueId, Address holder, int recipientCount, IReadOnlyCollection<int> stillHere)
    {
        List<int> gone;
        if (!_leaving.TryGetValue(queueId, out var deciding))
            return;
        lock (deciding.HandedOver)
            gone = deciding.HandedOver.Concat(Enumerable.Range(0, recipientCount).Where(i => !stillHere.Contains(i))).Distinct().Order().ToList();
        if (gone.Count == 0)
            return;
        var (answer, noAnswer) = await ShadowRetirement.AskHolderAsync(_system, holder, new ShadowRetire(PeerOutbox.OwnerOf(_system), queueId, gone), _options.Timeout)
            .ConfigureAwait(false);
        if ((answer?.Error ?? noAnswer) is { } error)
            _logger.LogWarning("{Holder} did not retire recipients of its late shadow copy of {QueueId} ({Error}): if this node is lost they may be delivered twice",
                holder, queueId, error);
    }

    /// <summary>Stops watching a message of <see cref="Leaving"/>.</summary>
    public void Unwatch(string queueId) => _leaving.TryRemove(queueId, out _);

    /// <summary>A message left this node within <see cref="DeliverFirst"/>: no copy was needed.</summary>
    public void NotNeeded() => _metrics?.NotNeeded();

    /// <summary>The peer that holds (or may hold) the message's shadow copy, or null when it has none known to this incarnation.</summary>
    public Address? HolderOf(string queueId) => _holders.GetValueOrDefault(queueId);

    /// <summary>
    /// Sends the stored bytes (<paramref name="prefix"/> then <paramref name="body"/>, which must stay valid until the
    /// task completes) to a peer and completes once a peer has them fsync'd, or with the reason none has when the
    /// time is up. Never throws for a failed copy.
    /// </summary>
    public async Task<ShadowResult> CopyAsync(string queueId, Envelope envelope, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body)
    {
        var span = _tracing.StartShadowCopy(queueId, envelope);
        var result = await CopyAsync(queueId, envelope, prefix, body, MessageTracing.TraceParentOf(span)).ConfigureAwait(false);
        MessageTracing.EndShadowCopy(span, result);
        return result;
    }

    private async Task<ShadowResult> CopyAsync(string queueId, Envelope envelope, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body, string? traceParent)
    {
        var started = Stopwatch.GetTimestamp();
        var peers = Peers();
        if (peers.Count == 0)
        {
            _metrics?.Failed();
            return new ShadowResult(false, null, "no peer is up and reachable");
        }

        var stored = ChunkSequence.Of(prefix, body);
        var envelopeJson = EnvelopeCodec.Encode(envelope);
        // Small copies (nearly all mail) travel in batches through the socket links or the link actor; a large one in
        // chunks through the outbox.
        var batched = _links is not null && envelopeJson.Length + stored.Length <= ShadowLinkActor.MaxCopyBytes
            ? new ShadowCopy(queueId, envelopeJson, stored.ToArray()) { TraceParent = traceParent }
            : null;
        // Copies go to one peer in runs of RunLength, then to the next: the copies of concurrent sessions meet in one
        // link, which then sends them as one batch (one remoting message and one holder fsync for several copies, where
        // a peer per copy split them over the links and sent twice as many batches of half the size).
        var first = Interlocked.Increment(ref _next) / RunLength;
        string? error = null;
        for (var attempt = 0; attempt < peers.Count; attempt++)
        {
            var remaining = _options.Timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
                break;
            var peer = peers[(int)((uint)(first + attempt) % (uint)peers.Count)];
            // Recorded before the attempt: a copy that lands after we gave up is still discarded with the message.
            _holders[queueId] = peer;
            var result = batched is not null
                ? await SendBatchedAsync(peer, batched, remaining).ConfigureAwait(false)
                : await PeerOutbox.SendAsync(_outbox, peer, TransferKind.Shadow, queueId,
                    TransferPayload.FromMemory(envelopeJson, stored), remaining, traceParent).ConfigureAwait(false);
            if (result.Stored)
            {
                _metrics?.Stored(Stopwatch.GetElapsedTime(started));
                return new ShadowResult(true, peer, null);
            }

            error = $"{peer}: {result.Error}";
            _logger.LogDebug("Shadow copy of {QueueId} not stored on {Peer}: {Error}", queueId, peer, result.Error);
        }

        _metrics?.Failed();
        return new ShadowResult(false, null, error ?? $"no acknowledgement within {_options.Timeout.TotalSeconds:0.###}s");
    }

    private async Task<TransferResult> SendBatchedAsync(Address peer, ShadowCopy copy, TimeSpan remaining)
    {
        var started = Stopwatch.GetTimestamp();
        // Straight over TCP when the socket link to the peer is open; through the link actor (remoting) otherwise, and
        // again through it when the socket link closed before sending the copy.
        // Over the socket the link's reading thread completes the copy, after its lock and after sending the next
        // batch: the session's continuation runs right there (it replies 250 to its client and awaits the next
        // command), where a thread-pool hop per copy cost a capped owner a wake-up each. The link actor completes
        // copies inside its message handler, so for it continuations stay asynchronous.
        var done = new TaskCompletionSource<string?>();
        if (_sockets?.TrySend(peer, copy, done) != true)
        {
            done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _links!.Tell(new ShadowLinkActor.Copy(peer, copy, done));
        }
        try
        {
            var error = await done.Task.WaitAsync(remaining).ConfigureAwait(false);
            if (error == ShadowSocketLink.NotSent)
            {
                done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _links!.Tell(new ShadowLinkActor.Copy(peer, copy, done));
                var left = remaining - Stopwatch.GetElapsedTime(started);
                error = await done.Task.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
            }

            return error is null ? new TransferResult(true, copy.QueueId, null) : TransferResult.Failed(error);
        }
        catch (TimeoutException)
        {
            // Withdrawn: a copy still waiting in its link is not sent at all.
            done.TrySetResult("withdrawn");
            return TransferResult.Failed($"no acknowledgement from {peer} within {_options.Timeout.TotalSeconds:0.###}s");
        }
    }

    /// <summary>The message left this node's spool (or was never accepted): its copy can go.</summary>
    public void Forget(IReadOnlyList<string> queueIds)
    {
        Dictionary<Address, List<string>>? byHolder = null;
        foreach (var id in queueIds)
        {
            if (!_leaving.IsEmpty && _leaving.TryGetValue(id, out var deciding))
                deciding.Left.TrySetResult();
            if (_holders.TryRemove(id, out var holder))
                ((byHolder ??= [])
                    .TryGetValue(holder, out var ids) ? ids : byHolder[holder] = []).Add(id);
        }

        if (byHolder is null)
            return;
        foreach (var (holder, ids) in byHolder)
            _discards.Tell(new ShadowDiscardActor.Discard(holder, ids));
    }

    /// <summary>
    /// Up members other than this node, in a stable order: the reachable ones, or when none is, the unreachable ones
    /// (a loaded machine's late heartbeats mark a node unreachable that still answers; the timeout bounds the try).
    /// Worked out once per cluster state (the cluster's read view swaps in a new state object on each change), not
    /// per copy.
    /// </summary>
    private IReadOnlyList<Address> Peers()
    {
        var state = _cluster.State;
        if (Volatile.Read(ref _peers) is { } known && ReferenceEquals(known.State, state))
            return known.Peers;
        var self = _cluster.SelfUniqueAddress;
        var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
        var up = state.Members.Where(m => m.Status == MemberStatus.Up && m.UniqueAddress != self).ToList();
        var reachable = up.Where(m => !unreachable.Contains(m.UniqueAddress)).ToList();
        var peers = (reachable.Count > 0 ? reachable : up)
            .Select(m => m.Address)
            .OrderBy(a => a.ToString(), StringComparer.Ordinal)
            .ToArray();
        Volatile.Write(ref _peers, new PeersOf(state, peers));
        return peers;
    }

    /// <summary>A message in its deliver-first wait (or its late copy): whether it left, and what was handed over meanwhile.</summary>
    private sealed class Deciding
    {
        public TaskCompletionSource Left { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> HandedOver { get; } = [];
    }

    private sealed record PeersOf(ClusterEvent.CurrentClusterState State, IReadOnlyList<Address> Peers);
}
