namespace Router.Actors.Spool;

/// <summary>A snapshot of the spool for operators and tests.</summary>
/// <param name="MessagesQueued">Messages with at least one pending recipient.</param>
/// <param name="BytesQueued">Stored body bytes of those messages.</param>
/// <param name="Segments">Segment files on disk, including the one being written.</param>
/// <param name="FsyncCount">fsync calls on segment files (one per group commit), since open.</param>
/// <param name="DirectoryFsyncCount">fsync calls on the spool directory, since open.</param>
/// <param name="RecordsCommitted">Records made durable since open (accepts, finishes and relocations).</param>
/// <param name="Batches">Group commits since open.</param>
/// <param name="MessagesRelocated">Messages copied forward out of old segments since open.</param>
public sealed record SpoolStatistics(
    int MessagesQueued,
    long BytesQueued,
    int Segments,
    long FsyncCount,
    long DirectoryFsyncCount,
    long RecordsCommitted,
    long Batches,
    long MessagesRelocated);
