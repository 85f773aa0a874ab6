namespace Router.Actors.Spool;

/// <summary>
/// The spool's running counts (fsyncs, records, batches, relocations), bumped by the writer, the reaper and the
/// index on their own threads and read for <see cref="SpoolStatistics"/>.
/// </summary>
internal sealed class SpoolCounters
{
    private long _fsyncs;
    private long _directoryFsyncs;
    private long _recordsCommitted;
    private long _batches;
    private long _relocated;

    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    public long DirectoryFsyncs => Interlocked.Read(ref _directoryFsyncs);

    public long RecordsCommitted => Interlocked.Read(ref _recordsCommitted);

    public long Batches => Interlocked.Read(ref _batches);

    public long Relocated => Interlocked.Read(ref _relocated);

    public void Fsynced() => Interlocked.Increment(ref _fsyncs);

    public void DirectoryFsynced() => Interlocked.Increment(ref _directoryFsyncs);

    /// <summary>One group commit of <paramref name="records"/> records is durable.</summary>
    public void Committed(int records)
    {
        Interlocked.Add(ref _recordsCommitted, records);
        Interlocked.Increment(ref _batches);
    }

    public void MessageRelocated() => Interlocked.Increment(ref _relocated);
}
