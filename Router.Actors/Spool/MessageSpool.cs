using System.Buffers;
using System.Diagnostics;
using System.IO.Hashing;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Router.Actors.Observability;
using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>
/// The durable message queue: an append-only log of segment files written by one writer thread with group commit.
/// <see cref="AcceptAsync"/> and <see cref="FinishAsync"/> complete only after their record is fsync'd, so a relay
/// may answer 250 when the returned task completes; every request waiting while an fsync runs shares the next one.
/// All members are safe to call from many threads.
/// </summary>
public sealed class MessageSpool : IAsyncDisposable
{
    private const string LockFileName = "spool.lock";
    private const int CopyChunkSize = 1 << 20;

    // pwritev takes at most IOV_MAX (1024 on Linux) buffers per call.
    private const int MaxBuffersPerWrite = 512;

    private readonly SpoolOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly RouterMetrics? _metrics;
    private readonly SafeFileHandle _lockFile;
    private readonly QueueIdGenerator _ids = new();
    // Synchronous continuations: the only one is the writer's wake-up (WaitForRequests), which a producer
    // then signals directly instead of through a thread-pool work item.
    private readonly Channel<SpoolRequest> _requests = Channel.CreateUnbounded<SpoolRequest>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });

    // The idle writer sleeps on this without spinning (a blocking Task wait spun and yielded the CPU first).
    private readonly ManualResetEventSlim _writerWake = new(false, spinCount: 0);
    private Action? _wakeWriter;

    // Set when a request arrives that someone waits on (an accept, a barrier): ends a finish-only linger.
    private readonly ManualResetEventSlim _urgentArrived = new(false, spinCount: 0);

    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guards the index (_messages, _segments, segment Live sets, entries) for readers on other threads; only the
    // writer thread (and Open, before it starts) changes it.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SpoolEntry> _messages;
    private readonly List<SpoolSegment> _segments;
    private long _bytesQueued;
    private long _nextOrder;

    // Owned by the writer thread.
    private SpoolSegment _head = null!;
    private SafeFileHandle _headFile = null!;
    private long _headLength;
    private long _lastSegmentId;
    private Exception? _fault;

    private long _fsyncs;
    private long _directoryFsyncs;
    private long _recordsCommitted;
    private long _batches;
    private long _relocated;
    private int _disposed;

    // Finished segments waiting to be unlinked, oldest first, and the background run that unlinks them.
    private const long ShrinkStep = 2L << 20;
    private static readonly TimeSpan ShrinkPause = TimeSpan.FromMilliseconds(2);

    private readonly Lock _unlinkGate = new();
    private readonly Queue<SpoolSegment> _unlinkQueue = new();
    private Task _unlinking = Task.CompletedTask;

    private MessageSpool(SpoolOptions options, ILogger logger, SafeFileHandle lockFile, SpoolRecoveryResult recovered, RouterMetrics? metrics)
    {
        _metrics = metrics;
        _options = options;
        _directory = Path.GetFullPath(options.Path);
        _logger = logger;
        _lockFile = lockFile;
        _messages = recovered.Messages;
        _segments = recovered.Segments;
        _lastSegmentId = recovered.LastSegmentId;
        foreach (var entry in _messages.Values)
        {
            _bytesQueued += entry.Location.BodyLength;
            _ids.Observe(entry.QueueId);
        }

        Recovered = _messages.Values.OrderBy(e => e.Order).Select(e => e.ToMessage()).ToArray();
        _nextOrder = _messages.Count == 0 ? 0 : _messages.Values.Max(e => e.Order) + 1;
    }

    /// <summary>
    /// Raised on the writer thread, after the commit, with the queue ids of messages whose last recipient was just
    /// finished (they left the spool). Shadow redundancy uses it to discard the copies on peers. Handlers must be quick
    /// and must not throw.
    /// </summary>
    public event Action<IReadOnlyList<string>>? MessagesLeft;

    /// <summary>Unfinished messages found by <see cref="Open"/>, oldest first.</summary>
    public IReadOnlyList<SpooledMessage> Recovered { get; }

    /// <summary>Counters for operators (and for tests that check group commit).</summary>
    public SpoolStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new SpoolStatistics(
                    _messages.Count,
                    _bytesQueued,
                    _segments.Count,
                    Interlocked.Read(ref _fsyncs),
                    Interlocked.Read(ref _directoryFsyncs),
                    Interlocked.Read(ref _recordsCommitted),
                    Interlocked.Read(ref _batches),
                    Interlocked.Read(ref _relocated));
            }
        }
    }

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

        SafeFileHandle lockFile;
        try
        {
            // FileShare.None takes an exclusive flock: two spools appending to one log would corrupt it.
            lockFile = File.OpenHandle(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"Spool directory {directory} is in use by another spool.", ex);
        }

        try
        {
            var recovered = SpoolRecovery.Run(directory, logger);
            var spool = new MessageSpool(options, logger, lockFile, recovered, metrics);
            metrics?.ObserveSpool(() => spool.Statistics);
            spool.DeleteFinishedSegments();
            spool._unlinking.GetAwaiter().GetResult();
            spool.Roll();
            spool.StartWriter();
            logger.LogInformation(
                "Spool {Directory} opened: {Messages} messages, {Bytes} bytes in {Segments} segments",
                directory, spool._messages.Count, spool._bytesQueued, spool._segments.Count);
            return spool;
        }
        catch
        {
            lockFile.Dispose();
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
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrEmpty(queueId);
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Recipients is null || envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("A message needs at least one recipient.", nameof(envelope));
        }

        ct.ThrowIfCancellationRequested();
        var head = SpoolRecordFormat.BuildAcceptedHead(queueId, envelope, prefix.Span, body, out _);
        var request = new AcceptRequest(queueId, envelope, head, prefix, body);
        Enqueue(request);
        return await WaitAsync(request, request.Completion.Task, ct).ConfigureAwait(false);
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
        int[] pending;
        lock (_gate)
        {
            if (!_messages.TryGetValue(queueId, out var entry))
            {
                return Task.CompletedTask;
            }

            foreach (var index in recipientIndexes)
            {
                if ((uint)index >= (uint)entry.Outcomes.Length)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(recipientIndexes), index, $"Message {queueId} has {entry.Outcomes.Length} recipients.");
                }
            }

            pending = recipientIndexes.Where(entry.IsPending).Distinct().Order().ToArray();
        }

        if (pending.Length == 0)
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
        lock (_gate)
        {
            if (!_messages.TryGetValue(queueId, out var entry))
            {
                throw new KeyNotFoundException($"Message {queueId} is not in the spool.");
            }

            // Opened under the lock: the writer deletes a segment only after the entries have moved out of it
            // (under this lock), so the file exists now; afterwards our own handle keeps the data readable.
            var location = entry.Location;
            var handle = File.OpenHandle(location.Segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var segment = location.Segment;
            segment.ReaderOpened();
            return new SegmentBodyStream(handle, location.BodyOffset, location.BodyLength, segment.ReaderClosed);
        }
    }

    /// <summary>The queued message with its envelope and pending recipients, or null when it is not queued.</summary>
    public SpooledMessage? Find(string queueId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        lock (_gate)
        {
            return _messages.TryGetValue(queueId, out var entry) ? entry.ToMessage() : null;
        }
    }

    /// <summary>Whether the message is queued, i.e. durable and with at least one pending recipient.</summary>
    /// <summary>False once the spool has been disposed (the node is stopping).</summary>
    public bool IsOpen => Volatile.Read(ref _disposed) == 0;

    public bool Contains(string queueId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(queueId);
        lock (_gate)
        {
            return _messages.ContainsKey(queueId);
        }
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
            await _writerStopped.Task.ConfigureAwait(false);
            return;
        }

        _requests.Writer.TryComplete();
        _urgentArrived.Set();
        await _writerStopped.Task.ConfigureAwait(false);
        await _unlinking.ConfigureAwait(false);
        _headFile.Dispose();
        _lockFile.Dispose();
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

    private void Enqueue(SpoolRequest request)
    {
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(MessageSpool));
        }

        if (request is not (FinishRequest or DeferRequest))
            _urgentArrived.Set();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void StartWriter()
    {
        var thread = new Thread(RunWriter) { IsBackground = true, Name = "spool-writer" };
        thread.Start();
    }

    private void RunWriter()
    {
        var batch = new List<SpoolRequest>();
        var buffer = new byte[CopyChunkSize];
        try
        {
            while (true)
            {
                try
                {
                    var relocations = _fault is null ? PlanRelocations() : [];
                    if (relocations.Count == 0 && !WaitForRequests())
                    {
                        break;
                    }

                    CollectBatch(batch, relocations.Sum(r => r.From.RecordLength));
                    if (relocations.Count == 0)
                        LingerForUrgent(batch);
                    if (batch.Count > 0 || relocations.Count > 0)
                    {
                        Commit(relocations, batch, buffer);
                    }
                }
                catch (Exception ex)
                {
                    // Commit handles failed writes itself; reaching here means the log's state is unknown, so
                    // accepting more mail would risk acknowledging what recovery cannot find.
                    _fault ??= ex;
                    _logger.LogCritical(ex, "Spool writer failed; the spool {Directory} refuses further writes", _directory);
                    foreach (var request in batch)
                    {
                        request.Fail(new IOException("The spool writer failed.", ex));
                    }
                }
                finally
                {
                    batch.Clear();
                }
            }
        }
        finally
        {
            _writerStopped.TrySetResult();
        }
    }

    private bool WaitForRequests()
    {
        var wait = _requests.Reader.WaitToReadAsync();
        if (!wait.IsCompleted)
        {
            _writerWake.Reset();
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_wakeWriter ??= _writerWake.Set);
            _writerWake.Wait();
        }
        return wait.GetAwaiter().GetResult();
    }

    /// <summary>
    /// A batch of only finish and defer records holds no client's reply: it waits up to
    /// <see cref="SpoolOptions.FinishLinger"/> for an accept to share its fsync, instead of starting an fsync that the
    /// next accept would have to wait behind (at low rates that was every other fsync and doubled the accept latency).
    /// </summary>
    private void LingerForUrgent(List<SpoolRequest> batch)
    {
        if (_options.FinishLinger <= TimeSpan.Zero || batch.Count == 0 || !batch.TrueForAll(r => r is FinishRequest or DeferRequest))
            return;
        _urgentArrived.Reset();
        var bytes = batch.Sum(r => r.Size);
        CollectBatch(batch, bytes);
        if (batch.TrueForAll(r => r is FinishRequest or DeferRequest) && Volatile.Read(ref _disposed) == 0)
        {
            _urgentArrived.Wait(_options.FinishLinger);
            CollectBatch(batch, batch.Sum(r => r.Size));
        }
    }

    /// <summary>Takes every waiting request up to the batch caps and the room left in the segment.</summary>
    private void CollectBatch(List<SpoolRequest> batch, long bytes)
    {
        var room = _headLength >= _options.SegmentSize ? _options.SegmentSize : _options.SegmentSize - _headLength;
        while (batch.Count < _options.MaxBatchCount
            && bytes < _options.MaxBatchBytes
            && bytes < room
            && _requests.Reader.TryRead(out var request))
        {
            if (request.TryTake())
            {
                batch.Add(request);
                bytes += request.Size;
            }
        }
    }

    /// <summary>Writes one group: relocations first, then the requests; one fsync; then applies and acknowledges.</summary>
    private void Commit(List<Relocation> relocations, List<SpoolRequest> batch, byte[] buffer)
    {
        if (_fault is not null)
        {
            foreach (var request in batch)
            {
                request.Fail(new IOException("The spool refuses writes after an earlier failure.", _fault));
            }

            return;
        }

        if (relocations.Count == 0 && batch.TrueForAll(r => r is BarrierRequest))
        {
            // Nothing to write: no roll, no fsync; the barriers only wait for the clean-up of earlier batches.
            CompleteBarriers(batch);
            return;
        }

        if (_headLength >= _options.SegmentSize)
        {
            try
            {
                Roll();
            }
            catch (IOException ex)
            {
                // The current segment is still sound; only this batch fails.
                _logger.LogError(ex, "Spool {Directory} cannot start a new segment", _directory);
                foreach (var request in batch)
                {
                    request.Fail(ex);
                }

                return;
            }
        }

        var start = _headLength;
        var offset = start;
        var highWater = start;
        var committed = new List<Committed>(relocations.Count + batch.Count);
        var records = 0;
        try
        {
            // Relocations precede this batch's Finished records, so that recovery sees a relocated message
            // before any later finish of it.
            foreach (var relocation in relocations)
            {
                var copied = CopyRecord(relocation.From, offset, buffer);
                highWater = Math.Max(highWater, offset + relocation.From.RecordLength);
                if (!copied)
                {
                    relocation.Entry.Unmovable = true;
                    _logger.LogError(
                        "Spool message {QueueId} in segment {Segment} failed its checksum while being relocated; it stays where it is",
                        relocation.Entry.QueueId, relocation.From.Segment.ToString());
                    continue;
                }

                var to = new SpoolLocation(
                    _head,
                    offset,
                    relocation.From.RecordLength,
                    offset + (relocation.From.BodyOffset - relocation.From.RecordOffset),
                    relocation.From.BodyLength);
                offset += relocation.From.RecordLength;
                records++;
                foreach (var finished in relocation.FinishedRecords)
                {
                    RandomAccess.Write(_headFile, finished, offset);
                    offset += finished.Length;
                    records++;
                }

                highWater = Math.Max(highWater, offset);
                committed.Add(new Committed(null, relocation.Entry, to));
            }

            var buffers = new List<ReadOnlyMemory<byte>>();
            var position = offset;
            foreach (var request in batch)
            {
                switch (request)
                {
                    case AcceptRequest accept:
                        committed.Add(new Committed(accept, null, new SpoolLocation(
                            _head, position, accept.Size, position + accept.Head.Length, accept.StoredLength)));
                        buffers.Add(accept.Head);
                        if (!accept.Prefix.IsEmpty)
                        {
                            buffers.Add(accept.Prefix);
                        }

                        foreach (var segment in accept.Body)
                        {
                            if (!segment.IsEmpty)
                            {
                                buffers.Add(segment);
                            }
                        }

                        break;

                    case FinishRequest finish:
                        committed.Add(new Committed(finish, null, default));
                        buffers.Add(finish.Record);
                        break;

                    case DeferRequest defer:
                        committed.Add(new Committed(defer, null, default));
                        buffers.Add(defer.Record);
                        break;

                    case BarrierRequest:
                        continue;
                }

                position += request.Size;
                records++;
            }

            WriteGathered(buffers, offset);
            offset = position;
            if (highWater > offset)
            {
                // A relocation abandoned halfway left bytes past the end of the log.
                RandomAccess.SetLength(_headFile, offset);
            }

            var fsyncStarted = Stopwatch.GetTimestamp();
            RandomAccess.FlushToDisk(_headFile);
            _metrics?.SpoolCommitted(records, Stopwatch.GetElapsedTime(fsyncStarted));
            Interlocked.Increment(ref _fsyncs);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Rollback(start, ex);
            foreach (var request in batch)
            {
                request.Fail(new IOException("The spool could not store the record.", ex));
            }

            return;
        }

        _headLength = offset;
        Interlocked.Add(ref _recordsCommitted, records);
        Interlocked.Increment(ref _batches);
        var left = Apply(committed);
        foreach (var item in committed)
        {
            switch (item.Request)
            {
                case AcceptRequest accept:
                    accept.Completion.TrySetResult(item.Message!);
                    break;
                case FinishRequest finish:
                    finish.Completion.TrySetResult();
                    break;
                case DeferRequest defer:
                    defer.Completion.TrySetResult();
                    break;
            }
        }

        if (left is not null)
        {
            RaiseMessagesLeft(left);
        }

        DeleteFinishedSegments();
        CompleteBarriers(batch);
    }

    private void RaiseMessagesLeft(List<string> left)
    {
        try
        {
            MessagesLeft?.Invoke(left);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A MessagesLeft handler failed");
        }
    }

    /// <summary>Barriers complete once the segments deleted so far are gone as well (tests and shutdown rely on it).</summary>
    private void CompleteBarriers(List<SpoolRequest> batch)
    {
        List<BarrierRequest>? barriers = null;
        foreach (var request in batch)
        {
            if (request is BarrierRequest barrier)
            {
                (barriers ??= []).Add(barrier);
            }
        }

        if (barriers is null)
        {
            return;
        }

        if (_unlinking.IsCompleted)
        {
            barriers.ForEach(b => b.Completion.TrySetResult());
        }
        else
        {
            _unlinking.ContinueWith(_ => barriers.ForEach(b => b.Completion.TrySetResult()), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Makes a durable batch visible: new messages, finished recipients, relocated messages, in log order.</summary>
    private List<string>? Apply(List<Committed> committed)
    {
        List<string>? left = null;
        lock (_gate)
        {
            for (var i = 0; i < committed.Count; i++)
            {
                var item = committed[i];
                switch (item.Request)
                {
                    case AcceptRequest accept:
                        {
                            var entry = new SpoolEntry(accept.QueueId, accept.Envelope, _nextOrder++, item.Location);
                            _messages.Add(entry.QueueId, entry);
                            item.Location.Segment.Live.Add(entry);
                            _bytesQueued += entry.Location.BodyLength;
                            committed[i] = item with { Message = entry.ToMessage() };
                            break;
                        }

                    case FinishRequest finish:
                        if (_messages.TryGetValue(finish.QueueId, out var finished))
                        {
                            finished.MarkFinished(finish.RecipientIndexes, (byte)finish.Outcome);
                            if (finished.Pending == 0)
                            {
                                _messages.Remove(finish.QueueId);
                                finished.Location.Segment.Live.Remove(finished);
                                _bytesQueued -= finished.Location.BodyLength;
                                (left ??= []).Add(finish.QueueId);
                            }
                        }

                        break;

                    case DeferRequest defer:
                        if (_messages.TryGetValue(defer.QueueId, out var deferred))
                        {
                            deferred.Deferrals = defer.Deferrals;
                            deferred.NextAttempt = defer.NextAttempt;
                        }

                        break;

                    case null when item.Relocated is { } moved:
                        moved.Location.Segment.Live.Remove(moved);
                        moved.Location = item.Location;
                        item.Location.Segment.Live.Add(moved);
                        Interlocked.Increment(ref _relocated);
                        break;
                }
            }
        }

        return left;
    }

    /// <summary>
    /// The oldest segment pins the disk while it holds live messages; once too many segments are newer, its live
    /// messages are copied into the head segment (a batch's worth at a time) so that it can be deleted.
    /// </summary>
    private List<Relocation> PlanRelocations()
    {
        var plans = new List<Relocation>();
        lock (_gate)
        {
            if (_segments.Count - 1 <= _options.MaxSegmentsBeforeRelocation || _segments[0] == _head)
            {
                return plans;
            }

            long bytes = 0;
            foreach (var entry in _segments[0].Live.OrderBy(e => e.Location.RecordOffset))
            {
                if (entry.Unmovable)
                {
                    continue;
                }

                plans.Add(new Relocation(entry, entry.Location, FinishedRecordsOf(entry)));
                bytes += entry.Location.RecordLength;
                if (bytes >= _options.MaxBatchBytes)
                {
                    break;
                }
            }
        }

        if (plans.Count > 0)
        {
            _logger.LogInformation(
                "Spool relocating {Messages} messages out of old segment {Segment}",
                plans.Count, plans[0].From.Segment.ToString());
        }

        return plans;
    }

    /// <summary>Finished records that carry a relocated message's finished recipients along with it.</summary>
    private static List<byte[]> FinishedRecordsOf(SpoolEntry entry)
    {
        var records = new List<byte[]>();
        foreach (var group in entry.Outcomes.Select((outcome, index) => (outcome, index)).Where(o => o.outcome != 0).GroupBy(o => o.outcome))
        {
            records.Add(SpoolRecordFormat.BuildFinished(entry.QueueId, group.Select(o => o.index).ToArray(), (RecipientOutcome)group.Key));
        }

        // The retry position travels with the message too.
        if (entry.NextAttempt is { } next)
        {
            records.Add(SpoolRecordFormat.BuildDeferred(entry.QueueId, entry.Deferrals, next));
        }

        return records;
    }

    /// <summary>
    /// Copies an Accepted record byte for byte (so its checksum still holds) and verifies it on the way. False when
    /// the old record cannot be read back intact; a failure to write the head segment throws.
    /// </summary>
    private bool CopyRecord(SpoolLocation from, long to, byte[] buffer)
    {
        SafeFileHandle source;
        try
        {
            source = File.OpenHandle(from.Segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException)
        {
            return false;
        }

        using var sourceScope = source;
        var crc = new Crc32();
        uint expected = 0;
        long done = 0;
        while (done < from.RecordLength)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, from.RecordLength - done));
            try
            {
                SpoolRecovery.ReadExactly(source, chunk, from.RecordOffset + done);
            }
            catch (IOException)
            {
                return false;
            }

            if (done == 0)
            {
                var header = SpoolRecordFormat.ReadHeader(chunk);
                if (header.Magic != SpoolRecordFormat.Magic
                    || header.Type != (byte)SpoolRecordType.Accepted
                    || header.PayloadLength != from.RecordLength - SpoolRecordFormat.HeaderSize)
                {
                    return false;
                }

                expected = header.Checksum;
                crc.Append(chunk[(SpoolRecordFormat.HeaderSize - 1)..]);
            }
            else
            {
                crc.Append(chunk);
            }

            RandomAccess.Write(_headFile, chunk, to + done);
            done += chunk.Length;
        }

        return crc.GetCurrentHashAsUInt32() == expected;
    }

    private void WriteGathered(List<ReadOnlyMemory<byte>> buffers, long offset)
    {
        for (var first = 0; first < buffers.Count; first += MaxBuffersPerWrite)
        {
            var slice = buffers.GetRange(first, Math.Min(MaxBuffersPerWrite, buffers.Count - first));
            RandomAccess.Write(_headFile, slice, offset);
            foreach (var memory in slice)
            {
                offset += memory.Length;
            }
        }
    }

    /// <summary>
    /// Cuts a failed batch off the log, so that nothing its callers were told failed can come back at recovery,
    /// and later records do not sit behind a torn one.
    /// </summary>
    private void Rollback(long start, Exception cause)
    {
        _logger.LogError(cause, "Spool write to segment {Segment} failed; rolling back to offset {Offset}", _head.ToString(), start);
        try
        {
            RandomAccess.SetLength(_headFile, start);
            RandomAccess.FlushToDisk(_headFile);
            _headLength = start;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _fault = ex;
            _logger.LogCritical(ex, "Spool segment {Segment} could not be rolled back; the spool refuses further writes", _head.ToString());
        }
    }

    /// <summary>Starts a new head segment; its directory entry is durable before any record in it is acknowledged.</summary>
    private void Roll()
    {
        var id = _lastSegmentId + 1;
        var path = Path.Combine(_directory, SpoolSegment.FileName(id));
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            DirectorySync.Flush(_directory);
            Interlocked.Increment(ref _directoryFsyncs);
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }

        _lastSegmentId = id;
        var segment = new SpoolSegment(id, path);
        var previous = _headFile;
        lock (_gate)
        {
            _segments.Add(segment);
            _head = segment;
        }

        _headFile = file;
        _headLength = 0;
        previous?.Dispose();
    }

    /// <summary>
    /// Hands the oldest segments that hold no live message to the unlinker. Only a prefix may go: a newer segment
    /// can hold the Finished records of messages in an older one, and losing those would resend mail. Unlinking a
    /// 64 MB file takes tens of milliseconds (84 ms measured here), which on this thread would hold up every
    /// accept waiting for the next fsync; the unlinker works in the background, in order.
    /// </summary>
    private void DeleteFinishedSegments()
    {
        var count = 0;
        lock (_gate)
        {
            while (count < _segments.Count && _segments[count] != _head && _segments[count].Live.Count == 0)
            {
                count++;
            }

            if (count > 0)
            {
                lock (_unlinkGate)
                {
                    foreach (var segment in _segments.GetRange(0, count))
                    {
                        _unlinkQueue.Enqueue(segment);
                    }
                }

                _segments.RemoveRange(0, count);
            }
        }

        bool waiting;
        lock (_unlinkGate)
        {
            waiting = _unlinkQueue.Count > 0;
        }

        // New segments are always chained; a segment that could not be deleted is retried after a later batch.
        if (count > 0 || (waiting && _unlinking.IsCompleted))
        {
            _unlinking = _unlinking.ContinueWith(_ => UnlinkQueued(), CancellationToken.None, TaskContinuationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Unlinks queued segments oldest first and makes the unlinks durable. One that cannot be deleted stops the
    /// run and stays first in line, so that no newer segment goes before it.
    /// </summary>
    private void UnlinkQueued()
    {
        var deleted = 0;
        SpoolSegment? last = null;
        while (true)
        {
            SpoolSegment? segment;
            lock (_unlinkGate)
            {
                if (!_unlinkQueue.TryPeek(out segment))
                {
                    break;
                }
            }

            try
            {
                if (!segment.HasReaders)
                {
                    ShrinkInSteps(segment.Path);
                }

                File.Delete(segment.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Spool segment {Segment} could not be deleted; tried again after the next batch", segment.ToString());
                break;
            }

            lock (_unlinkGate)
            {
                _unlinkQueue.Dequeue();
            }

            deleted++;
            last = segment;
        }

        if (last is null)
        {
            return;
        }

        try
        {
            DirectorySync.Flush(_directory);
            Interlocked.Increment(ref _directoryFsyncs);
        }
        catch (IOException ex)
        {
            // Not fatal: the next directory fsync (segment roll or deletion) makes these unlinks durable as well.
            _logger.LogWarning(ex, "Spool directory {Directory} could not be fsync'd after deleting segments", _directory);
        }

        _logger.LogDebug("Spool deleted {Count} finished segments up to {Segment}", deleted, last.ToString());
    }

    /// <summary>
    /// Frees a segment's blocks a few megabytes at a time before it is unlinked. On a filesystem mounted with
    /// <c>discard</c> (ext4 here) freeing blocks trims them synchronously, inside the journal transaction that every
    /// fsync waits for: unlinking a whole 64 MB segment at once held the writer's next fsync for ~100 ms. In steps,
    /// an fsync waits for one step at most. Only for a segment nobody reads any more: an open body stream would see
    /// its bytes vanish (after a plain unlink it keeps reading them).
    /// </summary>
    private static void ShrinkInSteps(string path)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            for (var length = RandomAccess.GetLength(file); length > 0;)
            {
                length = Math.Max(0, length - ShrinkStep);
                RandomAccess.SetLength(file, length);
                Thread.Sleep(ShrinkPause);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The unlink that follows frees whatever is left.
        }
    }

    /// <summary>A live message to copy forward out of the oldest segment.</summary>
    private sealed record Relocation(SpoolEntry Entry, SpoolLocation From, List<byte[]> FinishedRecords);

    /// <summary>One durable record of a batch: a request, or a relocated entry with its new location.</summary>
    private readonly record struct Committed(SpoolRequest? Request, SpoolEntry? Relocated, SpoolLocation Location)
    {
        public SpooledMessage? Message { get; init; }
    }
}
