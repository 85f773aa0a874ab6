namespace Router.Actors.Configuration;

/// <summary><c>router.spool</c>: where accepted mail is made durable.</summary>
public sealed record SpoolSettings
{
    /// <summary><c>path</c>: the spool folder, relative to the working directory unless rooted. Default <c>data/spool</c>.</summary>
    public string Path { get; init; } = "data/spool";

    /// <summary><c>segment-size</c>: bytes per spool segment file before a new one is started. Default 64 MiB.</summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary><c>max-messages</c>: queued messages past which new mail gets 452 4.3.1. Default 200,000.</summary>
    public long MaxMessages { get; init; } = 200_000;

    /// <summary><c>max-bytes</c>: queued bytes past which new mail gets 452 4.3.1. Default 16 GiB.</summary>
    public long MaxBytes { get; init; } = 16L << 30;

    /// <summary><c>min-free-disk</c>: free space on the spool's file system under which new mail gets 452 4.3.1. Default 1 GiB.</summary>
    public long MinFreeDisk { get; init; } = 1L << 30;

    /// <summary>
    /// <c>resume-at</c>: back pressure ends when every measure is back under this fraction of its
    /// limit (free disk over limit / fraction), so it does not flap at the edge. Default 0.9.
    /// </summary>
    public double ResumeAt { get; init; } = 0.9;
}
