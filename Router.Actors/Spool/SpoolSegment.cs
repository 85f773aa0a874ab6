using System.Globalization;
using Microsoft.Win32.SafeHandles;

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

    // One read handle shared by every body stream on this file (each reads at its own offsets, pread needs no file
    // position): opening and closing the file per delivery cost seven system calls. Opened with the first reader,
    // closed once the segment is retired and its last reader is done.
    private readonly Lock _readGate = new();
    private SafeFileHandle? _readHandle;
    private int _readers;
    private bool _retired;

    /// <summary>Whether a body stream opened on this file is still open (<see cref="MessageSpool.OpenBody"/>).</summary>
    public bool HasReaders
    {
        get
        {
            lock (_readGate)
            {
                return _readers > 0;
            }
        }
    }

    /// <summary>The shared read handle, opened on first use; every call is matched by one <see cref="ReaderClosed"/>.</summary>
    public SafeFileHandle OpenReader()
    {
        lock (_readGate)
        {
            _readHandle ??= File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _readers++;
            return _readHandle;
        }
    }

    public void ReaderClosed()
    {
        SafeFileHandle? close = null;
        lock (_readGate)
        {
            _readers--;
            if (_readers == 0 && _retired)
            {
                (close, _readHandle) = (_readHandle, null);
            }
        }

        close?.Dispose();
    }

    /// <summary>The file is being deleted, or the spool closes: the read handle closes once no reader uses it.</summary>
    public void Retire()
    {
        SafeFileHandle? close = null;
        lock (_readGate)
        {
            _retired = true;
            if (_readers == 0)
            {
                (close, _readHandle) = (_readHandle, null);
            }
        }

        close?.Dispose();
    }

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
