using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Router.Actors.Observability;
using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>
/// The durable message queue: an append-only log of segment files written by one writer thread with group commit.
/// <see cref="AcceptAsync"/> and <see cref="FinishAsync"/> complete only after their record is fsync'd, so a relay
/// may answer 250 when the returned task completes; every request waiting while an fsync runs shares the next one.
/// All members are safe to call from many threads.
/// </summary>
/// <remarks>
/// A facade over the parts that do the work: <see cref="SpoolDirectoryLock"/> (one spool per directory),
/// <see cref="GroupCommitWriter"/> (the writer thread), <see cref="SpoolIndex"/> (the live messages and segments),
/// <see cref="SpoolCompactor"/> (copies live messages out of old segments) and <see cref="SpoolSegmentReaper"/>
/// (deletes finished segments in the background).
/// </remarks>
public sealed class MessageSpool : IAsyncDisposable
{
    private readonly SpoolDirectoryLock _lock;
    private readonly QueueIdGenerator _ids = new();
    private readonly SpoolIndex _index;
    private readonly SpoolSegmentReaper _reaper;
    private readonly GroupCommitWriter _writer;
    private int _disposed;

    private MessageSpool(SpoolOptions options, string directory, ILogger logger, SpoolDirectoryLock directoryLock, SpoolRecoveryResult recovered, RouterMetrics? metrics)
    {
        _lock = directoryLock;
        var counters = new SpoolCounters();
        _index = new SpoolIndex(recovered, counters);
        _reaper = new SpoolSegmentReaper(directory, counters, logger);
        var compactor = new SpoolCompactor(options, _index, logger);
        _writer = new GroupCommitWriter(options, directory, recovered.LastSegmentId, _index, compactor, _reaper, counters, logger, metrics);
        Recovered = _index.Messages();
        foreach (var message in Recovered)
        {
            _ids.Observe(message.QueueId);
        }
    }

    /// <summary>
    /// Raised on the writer thread, after the commit, with the queue ids of messages whose last recipient was just
    /// finished (they left the spool). Shadow redundancy uses it to discard the copies on peers. Handlers must be quick
    /// and must not throw.
    /// </summary>
    public event Action<IReadOnlyList<string>>? MessagesLeft
    {
        add => _writer.MessagesLeft += value;
        remove => _writer.MessagesLeft -= value;
    }

    /// <summary>Unfinished messages found by <see cref="Open"/>, oldest first.</summary>
    public IReadOnlyList<SpooledMessage> Recovered { get; }

    /// <summary>Counters for operators (and for tests that check group commit).</summary>
    public SpoolStatistics Statistics => _index.Statistics();

    /// <summary>
    /// Opens the spool directory (creating it if needed), recovers its state from the segment files, truncating
    /// writes torn by a crash, and starts the writer. Only one spool may have a directory open at a time.
    /// </summary>
    /// <exception cref="IOException">The directory is in use by another spool, or cannot be read or written.</exception>
    /// <exception cref="InvalidDataException">A segment holds a record with a valid checksum that this build cannot read.</exception>
    /// <param name="metrics">Receives the group-commit figures (records per fsync, fsync time) and reads the queue depth; optional.</param>
    public static MessageSpool Open(SpoolOptions options, ILogger? logger = null, RouterMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        var directory = Path.GetFullPath(options.Path);
        Directory.CreateDirectory(directory);
        var directoryLock = SpoolDirectoryLock.Acquire(directory);
        try
        {
            var recovered = SpoolRecovery.Run(directory, logger);
            var spool = new MessageSpool(options, directory, logger, directoryLock, recovered, metrics);
            metrics?.ObserveSpool(() => spool.Statistics);
            spool._reaper.Reap(spool._index.RemoveFinishedPrefix(head: null));
            spool._reaper.Unlinking.GetAwaiter().GetResult();
            spool._writer.Start();
            var statistics = spool.Statistics;
            logger.LogInformation(
                "Spool {Directory} opened: {Messages} messages, {Bytes} bytes in {Segments} segments",
                directory, statistics.MessagesQueued, statistics.BytesQueued, statistics.Segments);
            return spool;
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stores a message and completes once it is durable. The stored body is <paramref name="prefix"/> followed by
    /// <paramref name="body"/>; both are written as they are, without a copy, so they must stay valid until the
    /// returned task completes. Cancellation takes effect only while the request still waits for the writer;
    /// once the writer took it, the task completes with the durable message.
    /// </summary>
    /// <exception cref="ArgumentException">No recipients, or the message exceeds the record size limit.</exception>
    /// <exception cref="IOException">The write or fsync failed; the message is not in the spool.</exception>
    public Task<SpooledMessage> AcceptAsync(
        Envelope envelope, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body, CancellationToken ct = default) =>
        AcceptAsync(NewQueueId(), envelope, prefix, body, ct);

    /// <summary>
    /// A fresh queue id, for callers that must name the message before storing it (the Received header that
    /// is part of the stored bytes carries it). Pass it to <see cref="AcceptAsync(string, Envelope, ReadOnlyMemory{byte}, ReadOnlySequence{byte}, CancellationToken)"/>.
    /// </summary>
    public string NewQueueId() => _ids.Next();

    /// <summary>As <see cref="AcceptAsync(Envelope, ReadOnlyMemory{byte}, ReadOnlySequence{byte}, CancellationToken)"/>, under an id from <see cref="NewQueueId"/>.</summary>
    public async Task<SpooledMessage> AcceptAsync(
        string queueId, Envelope envelope, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body, CancellationToken ct = default)
    {
        var request = NewAcceptRequest(queueId, envelope, prefix, body);
        ct.ThrowIfCancellationRequested();
        Enqueue(request);
        return await WaitAsync(request, request.Completion.Task, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores several messages under ids of the caller's (a holder's shadow copies, under their owner's ids), all handed
    /// to the writer at once so that they share one group commit. Each task is the writer's own completion (it
    /// continues on the thread pool), so a thread that waits for it synchronously is woken by the writer itself, with
    /// no thread-pool hop in between. With <paramref name="onCallerThread"/>, for a thread of its own that would only
    /// wait (the shadow socket server's), the caller writes and fsyncs them itself (after the writer's commit, if one
    /// is under way), and the tasks are complete when this returns. One with bad arguments has a faulted task and the others are stored. The
    /// bodies must stay valid until their tasks complete.
    /// </summary>
    public Task<SpooledMessage>[] AcceptAll(IReadOnlyList<(string QueueId, Envelope Envelope, ReadOnlySequence<byte> Body)> messages,
        bool onCallerThread = false)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tasks = new Task<SpooledMessage>[messages.Count];
        var requests = new List<AcceptRequest>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var (queueId, envelope, body) = messages[i];
            try
            {
                var request = NewAcceptRequest(queueId, envelope, ReadOnlyMemory<byte>.Empty, body);
                requests.Add(request);
                tasks[i] = request.Completion.Task;
            }
            catch (Exception e)
            {
                tasks[i] = Task.FromException<SpooledMessage>(e);
            }
        }

        if (requests.Count > 0)
        {
            try
            {
                var group = new AcceptGroupRequest(requests);
                if (onCallerThread)
                    _writer.CommitHere(group);
                else
                    Enqueue(group);
            }
            catch (ObjectDisposedException e)
            {
                foreach (var request in requests)
                    request.Fail(e);
            }
        }

        return tasks;
    }

    /// <summary>
    /// Records that recipients are done and completes once that is durable. Recipients already finished are
    /// ignored, and an unknown (or already finished) queue id is a no-op. When the last recipient finishes, the
    /// message leaves the spool.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the envelope's recipients, or the outcome is not defined.</exception>
    public Task FinishAsync(string queueId, IReadOnlyList<int> recipientIndexes, RecipientOutcome outcome, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        ArgumentNullException.ThrowIfNull(recipientIndexes);
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown recipient outcome.");
        }

        ct.ThrowIfCancellationRequested();
        var pending = _index.PendingOf(queueId, recipientIndexes);
        if (pending is null || pending.Length == 0)
        {
            return Task.CompletedTask;
        }

        var request = new FinishRequest(queueId, pending, outcome);
        Enqueue(request);
        return WaitAsync(request, request.Completion.Task, ct);
    }

    /// <summary>
    /// Records where a message stands in the retry schedule, so that a restarted node continues it
    /// instead of retrying everything at once. Completes when durable; an unknown id is a no-op.
    /// </summary>
    public Task DeferAsync(string queueId, int deferrals, DateTimeOffset nextAttempt, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        if (!Contains(queueId))
        {
            return Task.CompletedTask;
        }

        var request = new DeferRequest(queueId, deferrals, nextAttempt);
        Enqueue(request);
        return WaitAsync(request, request.Completion.Task, ct);
    }

    /// <summary>A read-only, seekable stream over the stored body (prefix + body) of a queued message.</summary>
    /// <exception cref="KeyNotFoundException">The id is unknown or the message is finished.</exception>
    public Stream OpenBody(string queueId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        return _index.OpenBody(queueId);
    }

    /// <summary>The queued message with its envelope and pending recipients, or null when it is not queued.</summary>
    public SpooledMessage? Find(string queueId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        return _index.Find(queueId);
    }

    /// <summary>Whether the message is queued, i.e. durable and with at least one pending recipient.</summary>
    /// <summary>False once the spool has been disposed (the node is stopping).</summary>
    public bool IsOpen => Volatile.Read(ref _disposed) == 0;

    public bool Contains(string queueId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        return _index.Contains(queueId);
    }

    /// <summary>
    /// Completes once the writer has committed every request queued before this call and deleted the segments
    /// that became free. Lets tests observe the clean-up that follows an acknowledgement.
    /// </summary>
    internal Task FlushAsync()
    {
        ThrowIfDisposed();
        var request = new BarrierRequest();
        Enqueue(request);
        return request.Completion.Task;
    }

    /// <summary>Lets the writer finish every request already queued, then closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writer.Stopped.ConfigureAwait(false);
            return;
        }

        _writer.Complete();
        await _writer.Stopped.ConfigureAwait(false);
        await _reaper.Unlinking.ConfigureAwait(false);
        _writer.CloseHead();
        _index.RetireSegments();
        _lock.Dispose();
    }

    private AcceptRequest NewAcceptRequest(string queueId, Envelope envelope, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrEmpty(queueId);
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Recipients is null || envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("A message needs at least one recipient.", nameof(envelope));
        }

        var head = SpoolRecordFormat.BuildAcceptedHead(queueId, envelope, prefix.Span, body, out _);
        return new AcceptRequest(queueId, envelope, head, prefix, body);
    }

    private static async Task<T> WaitAsync<T>(SpoolRequest request, Task<T> completion, CancellationToken ct)
    {
        if (!ct.CanBeCanceled)
        {
            return await completion.ConfigureAwait(false);
        }

        using var registration = ct.Register(static (state, token) => ((SpoolRequest)state!).CancelIfWaiting(token), request);
        return await completion.ConfigureAwait(false);
    }

    private static async Task WaitAsync(SpoolRequest request, Task completion, CancellationToken ct)
    {
        if (!ct.CanBeCanceled)
        {
            await completion.ConfigureAwait(false);
            return;
        }

        using var registration = ct.Register(static (state, token) => ((SpoolRequest)state!).CancelIfWaiting(token), request);
        await completion.ConfigureAwait(false);
    }

    private void Enqueue(SpoolRequest request) => _writer.Enqueue(request);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
