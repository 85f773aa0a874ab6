using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Actors.Cluster.Peers;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Routing;
using Envelope = Router.Messages.Envelope;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The holder's side of shadow redundancy: the copies peers send this node, kept in a spool per owner incarnation
/// (<c>&lt;spool.path&gt;/shadow/&lt;owner&gt;/</c>, a <see cref="MessageSpool"/> of its own, fsync'd before the owner
/// hears <see cref="PeerStored"/>) under the owner's queue id, so that the owner's discards can name them. A copy is
/// never delivered while its owner lives; <see cref="PromoteAsync"/> moves an owner's copies into this node's queue
/// when it is lost, <see cref="DropOwnerAsync"/> throws them away when it came back with its own spool, and
/// <see cref="RetireAsync"/> takes recipients out of a copy when the owner handed them to a peer.
/// All members are safe to call from many threads.
/// </summary>
public sealed partial class ShadowStore : IPeerStore, IAsyncDisposable
{
    /// <summary>The file in an owner's folder that names the owner ("address#uid"); folder names are sanitized.</summary>
    public const string OwnerFileName = "owner";

    private const int PromotionParallelism = 16;

    private readonly string _root;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, OwnerShadows> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<OwnerShadows>> _opening = new(StringComparer.Ordinal);

    /// <summary>
    /// What this node promoted, per owner: queue id → the recipients promoted. Kept for the life of the process, so
    /// that a retirement arriving after the promotion is answered truly (the owner's folder is gone by then).
    /// </summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, IReadOnlyList<int>>> _promoted = new(StringComparer.Ordinal);

    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(10);

    private readonly long _segmentSize;

    private ShadowStore(string root, long segmentSize, ILogger logger)
    {
        _root = root;
        _segmentSize = segmentSize;
        _logger = logger;
    }

    /// <summary>Owner incarnations whose copies this node holds (found at start-up or received since).</summary>
    public IReadOnlyList<string> Owners
    {
        get
        {
            lock (_gate)
            {
                return _owners.Keys.ToArray();
            }
        }
    }

    /// <summary>The number of copies held for <paramref name="owner"/>, or for all owners when null.</summary>
    public int Count(string? owner = null)
    {
        lock (_gate)
        {
            return owner is null ? _owners.Values.Sum(o => o.Ids.Count) : _owners.TryGetValue(owner, out var o) ? o.Ids.Count : 0;
        }
    }

    /// <summary>Opens <c>&lt;spoolPath&gt;/shadow</c> and every owner folder already there (copies kept before a restart).</summary>
    public static ShadowStore Open(string spoolPath, long segmentSize, ILogger logger)
    {
        var root = Path.Combine(Path.GetFullPath(spoolPath), "shadow");
        Directory.CreateDirectory(root);
        var store = new ShadowStore(root, segmentSize, logger);
        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            var ownerFile = Path.Combine(directory, OwnerFileName);
            if (!File.Exists(ownerFile))
            {
                // Created and never written (a crash between mkdir and the owner file): nothing was acknowledged from it.
                logger.LogWarning("Shadow folder {Directory} names no owner; removing it", directory);
                TryDelete(directory, logger);
                continue;
            }

            var owner = File.ReadAllText(ownerFile, Encoding.UTF8).Trim();
            var shadows = OwnerShadows.Open(owner, directory, segmentSize);
            store._owners[owner] = shadows;
            logger.LogInformation("Holding {Count} shadow cop(ies) of {Owner} from before this start", shadows.Ids.Count, owner);
        }

        return store;
    }

    public async Task<string> StoreAsync(PeerOffer offer, Envelope envelope, ReadOnlySequence<byte> body)
    {
        var shadows = await ShadowsOf(offer.Owner).ConfigureAwait(false);
        await shadows.Spool.AcceptAsync(offer.QueueId, envelope, ReadOnlyMemory<byte>.Empty, body).ConfigureAwait(false);
        shadows.Ids.TryAdd(offer.QueueId, 0);
        return offer.QueueId;
    }

    /// <summary>Drops the copies the owner no longer needs; ids not held are ignored.</summary>
    public async Task<int> DiscardAsync(string owner, IReadOnlyList<string> queueIds)
    {
        if (Held(owner) is not { } shadows)
            return 0;
        var discarded = 0;
        var finishing = new List<Task>();
        foreach (var id in queueIds)
        {
            if (!shadows.Ids.TryRemove(id, out _) || shadows.Spool.Find(id) is not { } message)
                continue;
            discarded++;
            finishing.Add(shadows.Spool.FinishAsync(id, message.PendingRecipients, RecipientOutcome.Cancelled));
        }

        await Task.WhenAll(finishing).ConfigureAwait(false);
        return discarded;
    }

    /// <summary>
    /// The owner handed <paramref name="recipients"/> (indexes in its envelope) of <paramref name="queueId"/> to a peer,
    /// which has them durable: takes them out of the copy, durably (a finished record in the owner's shadow spool, so a
    /// restart of this node does not bring them back); a copy left with no recipient is gone. Returns the recipients of
    /// them this node had already promoted (the owner was lost before the retirement came): this node delivers those,
    /// and the peer should not. A copy not held, or recipients already retired, are no-ops.
    /// </summary>
    public async Task<ShadowRetirementResult> RetireAsync(string owner, string queueId, IReadOnlyList<int> recipients)
    {
        while (true)
        {
            if (Held(owner) is not { } shadows)
                return new ShadowRetirementResult(0, PromotedAmong(owner, queueId, recipients));
            switch (shadows.TryClaimForRetirement(queueId))
            {
                case Claim.Taken:
                    break;
                case Claim.Busy:
                    // Being promoted this moment: a few milliseconds, then the answer is "promoted" (or it failed and is still held).
                    await Task.Delay(ClaimPoll).ConfigureAwait(false);
                    continue;
            }

            try
            {
                // Promoted already (the claim is released only after the promotion is remembered)?
                if (PromotedAmong(owner, queueId, recipients) is { Count: > 0 } promoted)
                    return new ShadowRetirementResult(0, promoted);
                if (shadows.Spool.Find(queueId) is not { } copy)
                    return ShadowRetirementResult.Nothing;
                var retire = recipients.Where(copy.PendingRecipients.Contains).ToArray();
                await shadows.Spool.FinishAsync(queueId, retire, RecipientOutcome.Cancelled).ConfigureAwait(false);
                if (!shadows.Spool.Contains(queueId))
                    shadows.Ids.TryRemove(queueId, out _);
                return new ShadowRetirementResult(retire.Length, []);
            }
            finally
            {
                shadows.ReleaseRetirement(queueId);
            }
        }
    }

    /// <summary>The owner came back with its own spool (or is otherwise not to be promoted): drop all its copies.</summary>
    public async Task<int> DropOwnerAsync(string owner)
    {
        var shadows = Detach(owner);
        if (shadows is null)
            return 0;
        var count = shadows.Ids.Count;
        await shadows.Spool.DisposeAsync().ConfigureAwait(false);
        TryDelete(shadows.Directory, _logger);
        return count;
    }

    /// <summary>
    /// The owner is lost: each copy becomes a message of this node's queue (stored, fsync'd, routed) for the recipients
    /// it still holds (those the owner handed to peers were retired), then leaves the shadow spool; when all have, the
    /// owner's folder is deleted. A crash half-way promotes the rest at the next promotion (a copy promoted but not yet
    /// finished here would be promoted twice: a duplicate, never a loss). A copy being retired this moment is promoted
    /// once the retirement is durable, so it is never both handed over and promoted.
    /// </summary>
    public async Task<int> PromoteAsync(string owner, MessageSpool spool, IActorRef router)
    {
        if (Held(owner) is not { } shadows)
            return 0;
        var promotedIds = _promoted.GetOrAdd(owner, _ => new ConcurrentDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal));
        var promoted = 0;
        await Parallel.ForEachAsync(shadows.Ids.Keys.Order(StringComparer.Ordinal).ToArray(),
            new ParallelOptions { MaxDegreeOfParallelism = PromotionParallelism },
            async (id, ct) =>
            {
                while (shadows.TryClaimForPromotion(id) == Claim.Busy)
                    await Task.Delay(ClaimPoll, ct).ConfigureAwait(false);
                try
                {
                    if (shadows.Spool.Find(id) is not { } copy)
                    {
                        shadows.Ids.TryRemove(id, out _);
                        return;
                    }

                    byte[] body;
                    await using (var stream = shadows.Spool.OpenBody(id))
                    {
                        body = new byte[stream.Length];
                        await stream.ReadExactlyAsync(body).ConfigureAwait(false);
                    }

                    var envelope = copy.PendingRecipients.Count == copy.Envelope.Recipients.Count ? copy.Envelope : copy.Envelope.Narrow(copy.PendingRecipients);
                    var spooled = await spool.AcceptAsync(envelope, ReadOnlyMemory<byte>.Empty, new ReadOnlySequence<byte>(body)).ConfigureAwait(false);
                    // Remembered before the retirement claim is released: a retirement waiting for it answers "promoted".
                    promotedIds[id] = copy.PendingRecipients;
                    router.Tell(new MessageSpooled(spooled.QueueId, spooled.Envelope, spooled.Length, spooled.PendingRecipients));
                    _logger.LogInformation("Promoted the shadow copy of {OwnerQueueId} from lost node {Owner}: queued here as {QueueId} for {Recipients} recipient(s)",
                        id, owner, spooled.QueueId, envelope.Recipients.Count);
                    await shadows.Spool.FinishAsync(id, copy.PendingRecipients, RecipientOutcome.Cancelled).ConfigureAwait(false);
                    shadows.Ids.TryRemove(id, out _);
                    Interlocked.Increment(ref promoted);
                }
                finally
                {
                    shadows.ReleasePromotion(id);
                }
            }).ConfigureAwait(false);

        if (shadows.Ids.IsEmpty)
            await DropOwnerAsync(owner).ConfigureAwait(false);
        return promoted;
    }

    public async ValueTask DisposeAsync()
    {
        OwnerShadows[] all;
        lock (_gate)
        {
            all = _owners.Values.ToArray();
            _owners.Clear();
        }

        foreach (var shadows in all)
            await shadows.Spool.DisposeAsync().ConfigureAwait(false);
    }

    private IReadOnlyList<int> PromotedAmong(string owner, string queueId, IReadOnlyList<int> recipients) =>
        _promoted.TryGetValue(owner, out var ids) && ids.TryGetValue(queueId, out var promoted) ? recipients.Where(promoted.Contains).ToArray() : [];

    /// <summary>The owner's shadow spool, if this node holds copies for it.</summary>
    private OwnerShadows? Held(string owner)
    {
        lock (_gate)
        {
            return _owners.GetValueOrDefault(owner);
        }
    }

    private OwnerShadows? Detach(string owner)
    {
        lock (_gate)
        {
            return _owners.Remove(owner, out var shadows) ? shadows : null;
        }
    }

    private Task<OwnerShadows> ShadowsOf(string owner)
    {
        lock (_gate)
        {
            if (_owners.TryGetValue(owner, out var shadows))
                return Task.FromResult(shadows);
            if (_opening.TryGetValue(owner, out var opening))
                return opening;
            // Opening a spool touches the disk (folder, lock, owner file, fsync): once, off the lock.
            opening = Task.Run(() =>
            {
                var directory = Path.Combine(_root, FolderName(owner));
                var opened = OwnerShadows.Create(owner, directory, _segmentSize);
                lock (_gate)
                {
                    _owners[owner] = opened;
                    _opening.Remove(owner);
                }

                _logger.LogInformation("Holding shadow copies for {Owner} in {Directory}", owner, directory);
                return opened;
            });
            _opening[owner] = opening;
            return opening;
        }
    }

    /// <summary>"akka.tcp://router@10.0.0.1:4053#-12345" → "router@10.0.0.1_4053_-12345": safe in a path, readable.</summary>
    internal static string FolderName(string owner)
    {
        var start = owner.IndexOf("://", StringComparison.Ordinal);
        var text = start < 0 ? owner : owner[(start + 3)..];
        var name = new StringBuilder(text.Length);
        foreach (var c in text)
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '@' ? c : '_');
        return name.ToString();
    }

    private static void TryDelete(string directory, ILogger logger)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete shadow folder {Directory}", directory);
        }
    }

    private enum Claim
    {
        Taken,
        Busy,
    }

    private sealed class OwnerShadows
    {
        private readonly Lock _claims = new();
        private readonly Dictionary<string, int> _retiring = new(StringComparer.Ordinal);
        private readonly HashSet<string> _promoting = new(StringComparer.Ordinal);

        private OwnerShadows(string owner, string directory, MessageSpool spool)
        {
            Owner = owner;
            Directory = directory;
            Spool = spool;
            foreach (var message in spool.Recovered)
                Ids.TryAdd(message.QueueId, 0);
        }

        public string Owner { get; }

        public string Directory { get; }

        public MessageSpool Spool { get; }

        /// <summary>The owner's queue ids of the copies held (the shadow spool's own ids).</summary>
        public ConcurrentDictionary<string, byte> Ids { get; } = new(StringComparer.Ordinal);

        /// <summary>A copy is retired (by any number of handovers at once) or promoted, never both at the same time.</summary>
        public Claim TryClaimForRetirement(string queueId)
        {
            lock (_claims)
            {
                if (_promoting.Contains(queueId))
                    return Claim.Busy;
                _retiring[queueId] = _retiring.GetValueOrDefault(queueId) + 1;
                return Claim.Taken;
            }
        }

        public void ReleaseRetirement(string queueId)
        {
            lock (_claims)
            {
                if (--_retiring[queueId] == 0)
                    _retiring.Remove(queueId);
            }
        }

        public Claim TryClaimForPromotion(string queueId)
        {
            lock (_claims)
            {
                if (_retiring.ContainsKey(queueId) || !_promoting.Add(queueId))
                    return Claim.Busy;
                return Claim.Taken;
            }
        }

        public void ReleasePromotion(string queueId)
        {
            lock (_claims)
            {
                _promoting.Remove(queueId);
            }
        }

        public static OwnerShadows Open(string owner, string directory, long segmentSize) =>
            new(owner, directory, MessageSpool.Open(new SpoolOptions(directory) { SegmentSize = segmentSize }));

        public static OwnerShadows Create(string owner, string directory, long segmentSize)
        {
            System.IO.Directory.CreateDirectory(directory);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(directory)!);
            var ownerFile = Path.Combine(directory, OwnerFileName);
            if (!File.Exists(ownerFile))
            {
                // Written and fsync'd before the first copy is acknowledged: a folder with copies always names its owner.
                using var file = new FileStream(ownerFile, FileMode.CreateNew, FileAccess.Write);
                file.Write(Encoding.UTF8.GetBytes(owner));
                file.Flush(flushToDisk: true);
            }

            return Open(owner, directory, segmentSize);
        }
    }
}

/// <summary>What a retirement did to a shadow copy.</summary>
/// <param name="Retired">Recipients taken out of the copy now (0: not held, or already retired).</param>
/// <param name="Promoted">Recipients asked for that this node had already promoted (indexes in the owner's envelope).</param>
public sealed record ShadowRetirementResult(int Retired, IReadOnlyList<int> Promoted)
{
    public static readonly ShadowRetirementResult Nothing = new(0, []);
}
