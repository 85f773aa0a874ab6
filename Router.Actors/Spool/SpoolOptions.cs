namespace Router.Actors.Spool;

/// <summary>Where and how the message spool keeps its segment log.</summary>
/// <param name="Path">The spool directory; created if missing. Nothing else should write there.</param>
public sealed record SpoolOptions(string Path)
{
    /// <summary>A segment is closed and a new one started once it passes this size. Default 64 MiB.</summary>
    public long SegmentSize { get; init; } = 64L << 20;

    /// <summary>
    /// When the oldest segment still holds live messages and more than this many segments are newer,
    /// its live messages are copied forward so that the file can be deleted. Default 8.
    /// </summary>
    public int MaxSegmentsBeforeRelocation { get; init; } = 8;

    /// <summary>Upper bound of bytes written between two fsyncs (one group commit). Default 8 MiB.</summary>
    public int MaxBatchBytes { get; init; } = 8 << 20;

    /// <summary>Upper bound of records written between two fsyncs (one group commit). Default 4096.</summary>
    public int MaxBatchCount { get; init; } = 4096;

    /// <summary>
    /// How long a group of only finish/defer records (nobody's reply waits on them) waits for an accept to share its
    /// fsync. Default 25 ms; zero commits them at once.
    /// </summary>
    public TimeSpan FinishLinger { get; init; } = TimeSpan.FromMilliseconds(25);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("SpoolOptions.Path must name a directory.", nameof(Path));
        }

        if (SegmentSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSize), SegmentSize, "SpoolOptions.SegmentSize must be positive.");
        }

        if (MaxSegmentsBeforeRelocation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSegmentsBeforeRelocation), MaxSegmentsBeforeRelocation, "SpoolOptions.MaxSegmentsBeforeRelocation must be at least 1.");
        }

        if (MaxBatchBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchBytes), MaxBatchBytes, "SpoolOptions.MaxBatchBytes must be positive.");
        }

        if (FinishLinger < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FinishLinger), FinishLinger, "SpoolOptions.FinishLinger must not be negative.");
        }

        if (MaxBatchCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchCount), MaxBatchCount, "SpoolOptions.MaxBatchCount must be positive.");
        }
    }
}
