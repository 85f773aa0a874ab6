using Microsoft.Win32.SafeHandles;

namespace Router.Actors.Spool;

/// <summary>
/// The spool directory's lock file, held open with an exclusive lock for as long as a spool has the directory open:
/// two spools appending to one log would corrupt it.
/// </summary>
internal sealed class SpoolDirectoryLock : IDisposable
{
    private const string LockFileName = "spool.lock";

    private readonly SafeFileHandle _file;

    private SpoolDirectoryLock(SafeFileHandle file) => _file = file;

    /// <summary>Takes the lock of an existing directory.</summary>
    /// <exception cref="IOException">The directory is in use by another spool.</exception>
    public static SpoolDirectoryLock Acquire(string directory)
    {
        try
        {
            // FileShare.None takes an exclusive flock.
            return new SpoolDirectoryLock(
                File.OpenHandle(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex)
        {
            throw new IOException($"Spool directory {directory} is in use by another spool.", ex);
        }
    }

    public void Dispose() => _file.Dispose();
}
