using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability;
using Router.Actors.Threading;

namespace Router.Actors.Spool;

/// <summary>
/// The spool's one writer: a dedicated thread that takes every waiting request (up to the batch caps), appends
/// them to the head segment with relocations first, fsyncs once, then updates the index and completes the
/// requests. Every request that arrives while an fsync runs shares the next one (group commit). It also starts
/// new segments and hands finished ones to the reaper. A caller with a thread of its own may commit a group itself
/// (<see cref="CommitHere"/>); every commit, the thread's or a caller's, holds
/// <c>_commitGate</c>, which guards the head segment (<see cref="SpoolHeadSegment"/>: the write and fsync of one
/// group), the index's updates and the fault.
/// </summary>
internal sealed class GroupCommitWriter
{
    private const int CopyChunkSize = 1 << 20;

    private readonly SpoolOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly SpoolIndex _index;
    private readonly SpoolCompactor _compactor;
    private readonly SpoolSegmentReaper _reaper;

    // Synchronous continuations: the only one is the writer's wake-up (WaitToRead), which a producer
    // then signals directly instead of through a thread-pool work item. Not a single reader: a caller's commit
    // (CommitHere) takes what waits, under the gate, while the thread may be waiting to read.
    private readonly Channel<SpoolRequest> _requests = Channel.CreateUnbounded<SpoolRequest>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = true });

    // Held for a whole commit (plan, collect, linger, write, fsync, apply), by the thread or by a caller.
    private readonly Lock _commitGate = new();

    private readonly DedicatedWriterThread<SpoolRequest> _thread;

    // Set when a request arrives that someone waits on (an accept, a barrier): ends a finish-only linger.
    private readonly WakeSignal _urgentArrived = new();
    private int _completed;

    // Callers of CommitHere waiting for the gate: a finish-only batch does not linger while one waits.
    private int _callersWaiting;

    // Owned by whoever holds _commitGate.
    private readonly SpoolHeadSegment _head;

    public GroupCommitWriter(
        SpoolOptions options,
        string directory,
        long lastSegmentId,
        SpoolIndex index,
        SpoolCompactor compactor,
        SpoolSegmentReaper reaper,
        SpoolCounters counters,
        ILogger logger,
        RouterMetrics? metrics)
    {
        _options = options;
        _directory = directory;
        _index = index;
        _compactor = compactor;
        _reaper = reaper;
        _logger = logger;
        _head = new SpoolHeadSegment(options, directory, lastSegmentId, index, compactor, counters, logger, metrics);
        _thread = new DedicatedWriterThread<SpoolRequest>("spool-writer", _requests.Reader, RunWriter);
    }

    /// <summary>Raised by the thread that committed (the writer's, or a <see cref="CommitHere"/> caller's), after the commit, with the queue ids of messages that left the spool.</summary>
    public event Action<IReadOnlyList<string>>? MessagesLeft;

    /// <summary>Completes once the writer thread has finished every request queued before <see cref="Complete"/>.</summary>
    public Task Stopped => _thread.Stopped;

    /// <summary>Starts the first head segment, then the thread.</summary>
    public void Start()
    {
        _head.Roll();
        _thread.Start();
    }

    /// <exception cref="ObjectDisposedException">The writer was completed.</exception>
    public void Enqueue(SpoolRequest request)
    {
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(MessageSpool));
        }

        if (request is not (FinishRequest or DeferRequest))
            _urgentArrived.Set();
    }

    /// <summary>Takes no more requests; the thread writes what is queued, then stops (<see cref="Stopped"/>).</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, 1);
        _requests.Writer.TryComplete();
        _urgentArrived.Set();
    }

    /// <summary>Closes the head segment; only once <see cref="Stopped"/> completed.</summary>
    public void CloseHead() => _head.Close();

    /// <summary>
    /// Commits <paramref name="group"/> on the caller's thread, with whatever else waits for the writer, instead of
    /// handing it to the writer thread: for a thread of its own that would only sleep until the writer's fsync (the
    /// holder's shadow intake), that saves two wake-ups per group, the writer's and its own. When the writer is
    /// committing, the caller waits for it first (and cuts a finish-only batch's linger short). The group's requests
    /// are complete, or failed, when it returns.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The writer was completed.</exception>
    public void CommitHere(AcceptGroupRequest group)
    {
        var batch = new List<SpoolRequest>(group.Requests.Count);
        if (!_commitGate.TryEnter())
        {
            Interlocked.Increment(ref _callersWaiting);
            _urgentArrived.Set();
            _commitGate.Enter();
            Interlocked.Decrement(ref _callersWaiting);
        }

        try
        {
            if (Volatile.Read(ref _completed) != 0)
                throw new ObjectDisposedException(nameof(MessageSpool));
            try
            {
                long bytes = 0;
                foreach (var accept in group.Requests)
                {
                    if (accept.TryTake())
                    {
                        batch.Add(accept);
                        bytes += accept.Size;
                    }
                }

                CollectBatch(batch, bytes);
                Commit([], batch, []);
            }
            catch (Exception ex)
            {
                Failed(ex, batch);
            }
        }
        finally
        {
            _commitGate.Exit();
        }
    }

    private void RunWriter()
    {
        var batch = new List<SpoolRequest>();
        var buffer = new byte[CopyChunkSize];
        // Compaction goes on without waiting for requests; otherwise the thread sleeps until one comes.
        while (CommitOnce(batch, buffer, requestsWaiting: false) || _thread.WaitToRead())
        {
            CommitOnce(batch, buffer, requestsWaiting: true);
        }

        // A caller's commit under way ends before Stopped completes (the head segment is closed after it).
        lock (_commitGate)
        {
        }
    }

    /// <summary>
    /// Plans relocations and, when there are some or <paramref name="requestsWaiting"/>, takes the waiting requests and
    /// commits them. Returns whether there were relocations.
    /// </summary>
    private bool CommitOnce(List<SpoolRequest> batch, byte[] buffer, bool requestsWaiting)
    {
        lock (_commitGate)
        {
            try
            {
                var relocations = _head.Fault is null ? _compactor.Plan(_head.Segment) : [];
                if (relocations.Count == 0 && !requestsWaiting)
                    return false;
                CollectBatch(batch, relocations.Sum(r => r.From.RecordLength));
                if (relocations.Count == 0)
                    LingerForUrgent(batch);
                if (batch.Count > 0 || relocations.Count > 0)
                {
                    Commit(relocations, batch, buffer);
                }

                return relocations.Count > 0;
            }
            catch (Exception ex)
            {
                Failed(ex, batch);
                return false;
            }
            finally
            {
                batch.Clear();
            }
        }
    }

    /// <summary>
    /// Commit handles failed writes itself; reaching here means the log's state is unknown, so accepting more mail
    /// would risk acknowledging what recovery cannot find.
    /// </summary>
    private void Failed(Exception ex, List<SpoolRequest> batch)
    {
        _head.Fault ??= ex;
        _logger.LogCritical(ex, "Spool writer failed; the spool {Directory} refuses further writes", _directory);
        foreach (var request in batch)
        {
            request.Fail(new IOException("The spool writer failed.", ex));
        }
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
        // A caller waiting to commit its own group (CommitHere) is as urgent as an accept: it counts itself before it
        // sets the signal, so either the count is seen here or the signal comes after the reset above.
        if (batch.TrueForAll(r => r is FinishRequest or DeferRequest) && Volatile.Read(ref _completed) == 0 && Volatile.Read(ref _callersWaiting) == 0)
        {
            _urgentArrived.Wait(_options.FinishLinger);
            CollectBatch(batch, batch.Sum(r => r.Size));
        }
    }

    /// <summary>Takes every waiting request up to the batch caps and the room left in the segment.</summary>
    private void CollectBatch(List<SpoolRequest> batch, long bytes)
    {
        var room = _head.Room;
        while (batch.Count < _options.MaxBatchCount
            && bytes < _options.MaxBatchBytes
            && bytes < room
            && _requests.Reader.TryRead(out var request))
        {
            if (request is AcceptGroupRequest group)
            {
                // Its accepts join this batch together, in order, even past the caps (the caps are checked
                // before each request; a group is one holder's batch of shadow copies, under 1 MB).
                foreach (var accept in group.Requests)
                {
                    if (accept.TryTake())
                    {
                        batch.Add(accept);
                        bytes += accept.Size;
                    }
                }
            }
            else if (request.TryTake())
            {
                batch.Add(request);
                bytes += request.Size;
            }
        }
    }

    /// <summary>Writes one group: relocations first, then the requests; one fsync; then applies and acknowledges.</summary>
    private void Commit(List<SpoolCompactor.Relocation> relocations, List<SpoolRequest> batch, byte[] buffer)
    {
        if (_head.Fault is not null)
        {
            foreach (var request in batch)
            {
                request.Fail(new IOException("The spool refuses writes after an earlier failure.", _head.Fault));
            }

            return;
        }

        if (relocations.Count == 0 && batch.TrueForAll(r => r is BarrierRequest))
        {
            // Nothing to write: no roll, no fsync; the barriers only wait for the clean-up of earlier batches.
            CompleteBarriers(batch);
            return;
        }

        if (_head.IsFull)
        {
            try
            {
                _head.Roll();
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

        var (committed, error) = _head.Append(relocations, batch, buffer);
        if (committed is null)
        {
            foreach (var request in batch)
            {
                request.Fail(new IOException("The spool could not store the record.", error));
            }

            return;
        }

        var left = _index.Apply(committed);
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

        _reaper.Reap(_index.RemoveFinishedPrefix(_head.Segment));
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

        var unlinking = _reaper.Unlinking;
        if (unlinking.IsCompleted)
        {
            barriers.ForEach(b => b.Completion.TrySetResult());
        }
        else
        {
            unlinking.ContinueWith(_ => barriers.ForEach(b => b.Completion.TrySetResult()), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
