using Microsoft.Extensions.Logging;

namespace Router.Actors.Spool;

/// <summary>
/// Deletes finished segment files in the background, oldest first, and makes the unlinks durable. Unlinking a
/// 64 MB file takes tens of milliseconds (84 ms measured here), which on the writer thread would hold up every
/// accept waiting for the next fsync; so the writer hands finished segments over and this works beside it.
/// </summary>
internal sealed class SpoolSegmentReaper
{
    private const long ShrinkStep = 2L << 20;
    private static readonly TimeSpan ShrinkPause = TimeSpan.FromMilliseconds(2);

    private readonly string _directory;
    private readonly SpoolCounters _counters;
    private readonly ILogger _logger;

    // Finished segments waiting to be unlinked, oldest first, and the background run that unlinks them.
    private readonly Lock _unlinkGate = new();
    private readonly Queue<SpoolSegment> _unlinkQueue = new();
    private Task _unlinking = Task.CompletedTask;

    public SpoolSegmentReaper(string directory, SpoolCounters counters, ILogger logger)
    {
        _directory = directory;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>Completes when every segment handed over so far is deleted, or its deletion failed and waits for a retry.</summary>
    public Task Unlinking => _unlinking;

    /// <summary>
    /// Queues finished segments (oldest first, after any queued before) and starts a run to unlink them. Called
    /// after every batch, also with none, so that a segment that could not be deleted is tried again. Called from
    /// one thread at a time (the writer).
    /// </summary>
    public void Reap(List<SpoolSegment>? finished)
    {
        bool waiting;
        lock (_unlinkGate)
        {
            if (finished is not null)
            {
                foreach (var segment in finished)
                {
                    _unlinkQueue.Enqueue(segment);
                }
            }

            waiting = _unlinkQueue.Count > 0;
        }

        // New segments are always chained; a segment that could not be deleted is retried after a later batch.
        if (finished is not null || (waiting && _unlinking.IsCompleted))
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
                segment.Retire();
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
            _counters.DirectoryFsynced();
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
}
