namespace Router.Actors.Configuration;

/// <summary><c>router.spool</c>: where accepted mail is made durable.</summary>
public sealed record SpoolSettings
{
    /// <summary><c>path</c>: the spool folder, relative to the working directory unless rooted. Default <c>data/spool</c>.</summary>
    public string Path { get; init; } = "data/spool";

    /// <summary><c>segment-size</c>: bytes per spool segment file before a new one is started. Default 64 MiB.</summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;
}
