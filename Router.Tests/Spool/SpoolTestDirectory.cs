namespace Router.Tests.Spool;

/// <summary>A fresh spool directory under the system temp path, removed after the test.</summary>
internal sealed class SpoolTestDirectory : IDisposable
{
    public SpoolTestDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "router-spool-" + Guid.NewGuid().ToString("N"));

    public string[] SegmentFiles() => Directory.GetFiles(Path, "seg-*.log").Order(StringComparer.Ordinal).ToArray();

    public string Segment(long id) => System.IO.Path.Combine(Path, $"seg-{id:D10}.log");

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
