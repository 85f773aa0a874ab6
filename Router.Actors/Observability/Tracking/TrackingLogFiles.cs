using System.Globalization;

namespace Router.Actors.Observability.Tracking;

/// <summary>
/// How the tracking log names its files (<c>tracking-NNNNNN.jsonl</c>, numbered in order of creation) and lists
/// them oldest first; shared by the writer, which rotates them, and the search, which reads them.
/// </summary>
internal static class TrackingLogFiles
{
    private const string FilePrefix = "tracking-";
    private const string FileSuffix = ".jsonl";

    /// <summary>The log files in <paramref name="directory"/>, oldest first.</summary>
    public static List<(long Sequence, string Path)> List(string directory)
    {
        var files = new List<(long Sequence, string Path)>();
        foreach (var path in Directory.EnumerateFiles(directory, FilePrefix + "*" + FileSuffix))
        {
            if (SequenceOf(path) is { } sequence)
                files.Add((sequence, path));
        }
        files.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return files;
    }

    /// <summary>The path of file number <paramref name="sequence"/>.</summary>
    public static string PathOf(string directory, long sequence) =>
        Path.Combine(directory, $"{FilePrefix}{sequence.ToString("D6", CultureInfo.InvariantCulture)}{FileSuffix}");

    private static long? SequenceOf(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith(FilePrefix, StringComparison.Ordinal) && name.EndsWith(FileSuffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(FilePrefix.Length, name.Length - FilePrefix.Length - FileSuffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                ? sequence
                : null;
    }
}
