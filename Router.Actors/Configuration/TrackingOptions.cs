namespace Router.Actors.Configuration;

/// <summary><c>router.tracking</c>: the message tracking log, one JSON line per event of each message.</summary>
public sealed record TrackingOptions
{
    /// <summary><c>enabled</c>: write the log. Default on.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>directory</c>: where the log files go. Default <c>tracking</c> inside the spool folder.</summary>
    public string Directory { get; init; } = System.IO.Path.Combine("data/spool", "tracking");

    /// <summary><c>max-file-size</c>: a file is closed and the next started once it would pass this size. Default 64 MiB.</summary>
    public long MaxFileSize { get; init; } = 64L << 20;

    /// <summary><c>retain-files</c>: files kept, the one being written included; older ones are deleted. Default 10.</summary>
    public int RetainFiles { get; init; } = 10;

    /// <summary>
    /// <c>queue-capacity</c>: events waiting for the writer. When the disk cannot keep up and the queue is full,
    /// further events are dropped (and counted in <c>router_tracking_events_dropped_total</c>) rather than slow
    /// the mail down. Default 65536.
    /// </summary>
    public int QueueCapacity { get; init; } = 65_536;
}
