using System.Globalization;

namespace Router.Actors.Spool;

/// <summary>One segment file of the log and the live messages whose current Accepted record is in it.</summary>
internal sealed class SpoolSegment
{
    private const string Prefix = "seg-";
    private const string Suffix = ".log";

    public SpoolSegment(long id, string path)
    {
        Id = id;
        Path = path;
    }

    public long Id { get; }

    public string Path { get; }

    /// <summary>Messages with pending recipients stored here; the file may go once this is empty (and older ones are gone).</summary>
    public HashSet<SpoolEntry> Live { get; } = [];

    private int _readers;

    /// <summary>Whether a body stream opened on this file is still open (<see cref="MessageSpool.OpenBody"/>).</summary>
    public bool HasReaders => Volatile.Read(ref _readers) > 0;

    public void ReaderOpened() => Interlocked.Increment(ref _readers);

    public void ReaderClosed() => Interlocked.Decrement(ref _readers);

    public static string FileName(long id) => Prefix + id.ToString("D10", CultureInfo.InvariantCulture) + Suffix;

    public static bool TryParseId(string fileName, out long id)
    {
        id = 0;
        return fileName.StartsWith(Prefix, StringComparison.Ordinal)
            && fileName.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(
                fileName.AsSpan(Prefix.Length, fileName.Length - Prefix.Length - Suffix.Length),
                NumberStyles.None,
                CultureInfo.InvariantCulture,
                out id)
            && id > 0;
    }

    public override string ToString() => System.IO.Path.GetFileName(Path);
}
