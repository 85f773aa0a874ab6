using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Router.Actors.Observability;

namespace Router.Actors.Spool;

/// <summary>
/// The segment the spool appends to, and the write of one group into it: relocations first, then the group's records
/// in one gathered write, one fsync; a failed write is cut off again. Starts the next segment when this one is full.
/// Not thread-safe: <see cref="GroupCommitWriter"/> uses it only under its commit gate.
/// </summary>
internal sealed class SpoolHeadSegment
{
    // pwritev takes at most IOV_MAX (1024 on Linux) buffers per call.
    private const int MaxBuffersPerWrite = 512;

    private readonly SpoolOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly RouterMetrics? _metrics;
    private readonly SpoolIndex _index;
    private readonly SpoolCompactor _compactor;
    private readonly SpoolCounters _counters;

    private SpoolSegment _segment = null!;
    private SafeFileHandle _file = null!;
    private long _length;
    private long _lastSegmentId;

    public SpoolHeadSegment(
        SpoolOptions options,
        string directory,
        long lastSegmentId,
        SpoolIndex index,
        SpoolCompactor compactor,
        SpoolCounters counters,
        ILogger logger,
        RouterMetrics? metrics)
    {
        _options = options;
        _directory = directory;
        _lastSegmentId = lastSegmentId;
        _index = index;
        _compactor = compactor;
        _counters = counters;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>The segment records are appended to.</summary>
    public SpoolSegment Segment => _segment;

    /// <summary>Set when the log's state is unknown (a rollback failed, or the writer failed): no more writes.</summary>
    public Exception? Fault { get; set; }

    /// <summary>The bytes a group may still take before the segment counts as full (a whole segment once it is).</summary>
    public long Room => _length >= _options.SegmentSize ? _options.SegmentSize : _options.SegmentSize - _length;

    /// <summary>Whether the next group goes into a new segment.</summary>
    public bool IsFull => _length >= _options.SegmentSize;

    /// <summary>Starts a new head segment; its directory entry is durable before any record in it is acknowledged.</summary>
    public void Roll()
    {
        var id = _lastSegmentId + 1;
        var path = Path.Combine(_directory, SpoolSegment.FileName(id));
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            DirectorySync.Flush(_directory);
            _counters.DirectoryFsynced();
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }

        _lastSegmentId = id;
        var segment = new SpoolSegment(id, path);
        var previous = _file;
        _index.AddSegment(segment);
        _segment = segment;
        _file = file;
        _length = 0;
        previous?.Dispose();
    }

    /// <summary>Closes the segment's file.</summary>
    public void Close() => _file.Dispose();

    /// <summary>
    /// Appends <paramref name="relocations"/>, then <paramref name="batch"/>'s records (barriers write nothing), and
    /// fsyncs once. Returns what was committed, in order, or the error after the log was cut back to where it was.
    /// </summary>
    public (List<CommittedRecord>? Committed, Exception? Error) Append(
        List<SpoolCompactor.Relocation> relocations, List<SpoolRequest> batch, byte[] buffer)
    {
        var start = _length;
        var offset = start;
        var highWater = start;
        var committed = new List<CommittedRecord>(relocations.Count + batch.Count);
        var records = 0;
        try
        {
            // Relocations precede this batch's Finished records, so that recovery sees a relocated message
            // before any later finish of it.
            records += _compactor.CopyForward(relocations, _segment, _file, ref offset, ref highWater, committed, buffer);

            var buffers = new List<ReadOnlyMemory<byte>>();
            var position = offset;
            foreach (var request in batch)
            {
                switch (request)
                {
                    case AcceptRequest accept:
                        committed.Add(new CommittedRecord(accept, null, new SpoolLocation(
                            _segment, position, accept.Size, position + accept.Head.Length, accept.StoredLength)));
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
                        committed.Add(new CommittedRecord(finish, null, default));
                        buffers.Add(finish.Record);
                        break;

                    case DeferRequest defer:
                        committed.Add(new CommittedRecord(defer, null, default));
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
                RandomAccess.SetLength(_file, offset);
            }

            var fsyncStarted = Stopwatch.GetTimestamp();
            RandomAccess.FlushToDisk(_file);
            _metrics?.SpoolCommitted(records, Stopwatch.GetElapsedTime(fsyncStarted));
            _counters.Fsynced();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Rollback(start, ex);
            return (null, ex);
        }

        _length = offset;
        _counters.Committed(records);
        return (committed, null);
    }

    private void WriteGathered(List<ReadOnlyMemory<byte>> buffers, long offset)
    {
        for (var first = 0; first < buffers.Count; first += MaxBuffersPerWrite)
        {
            var slice = buffers.GetRange(first, Math.Min(MaxBuffersPerWrite, buffers.Count - first));
            RandomAccess.Write(_file, slice, offset);
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
        _logger.LogError(cause, "Spool write to segment {Segment} failed; rolling back to offset {Offset}", _segment.ToString(), start);
        try
        {
            RandomAccess.SetLength(_file, start);
            RandomAccess.FlushToDisk(_file);
            _length = start;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fault = ex;
            _logger.LogCritical(ex, "Spool segment {Segment} could not be rolled back; the spool refuses further writes", _segment.ToString());
        }
    }
}
