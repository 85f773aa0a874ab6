using System.Threading.Channels;

namespace Router.Actors.Threading;

/// <summary>
/// One long-lived background thread that drains a channel, for the writers that batch their work away from the
/// thread pool (the spool's group commit, the message tracking log). While the channel is empty the thread sleeps
/// on a <see cref="WakeSignal"/>, which never spins: a blocking Task wait spun and yielded the CPU first, on every wake-up.
/// </summary>
/// <typeparam name="T">The channel's items.</typeparam>
internal sealed class DedicatedWriterThread<T>
{
    private readonly string _name;
    private readonly ChannelReader<T> _reader;
    private readonly Action _body;
    private readonly WakeSignal _wake = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _wakeUp;

    /// <param name="name">The thread's name, as shown by debuggers and dumps.</param>
    /// <param name="reader">The channel that <see cref="WaitToRead"/> waits on.</param>
    /// <param name="body">The writer loop; the thread ends when it returns (or throws).</param>
    public DedicatedWriterThread(string name, ChannelReader<T> reader, Action body)
    {
        _name = name;
        _reader = reader;
        _body = body;
    }

    /// <summary>Completes once the writer loop has returned (or thrown).</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Starts the thread; call once.</summary>
    public void Start() => new Thread(Run) { IsBackground = true, Name = _name }.Start();

    /// <summary>
    /// For the writer thread only: blocks until the channel holds an item (true) or is completed and empty (false).
    /// </summary>
    public bool WaitToRead()
    {
        var wait = _reader.WaitToReadAsync();
        if (!wait.IsCompleted)
        {
            _wake.Reset();
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_wakeUp ??= _wake.Set);
            _wake.Wait();
        }

        return wait.GetAwaiter().GetResult();
    }

    private void Run()
    {
        try
        {
            _body();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }
}
