using System.Net.Sockets;

namespace Router.Testing.Firewalls;

/// <summary>One accepted socket of a <see cref="FakeFirewall"/>, tracked so that Refuse and Stop can reset it.</summary>
internal sealed class FakeConnection
{
    readonly Action<FakeConnection> _onClosed;
    int _closed;

    public FakeConnection(long id, Socket socket, Action<FakeConnection> onClosed)
    {
        Id = id;
        Socket = socket;
        _onClosed = onClosed;
    }

    public long Id { get; }

    public Socket Socket { get; }

    /// <summary>When the kernel handed the connection over (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long AcceptedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    long _firstWriteAt;

    /// <summary>How long after <see cref="AcceptedAt"/> the first byte (the greeting) was written; null before then.</summary>
    public TimeSpan? FirstWriteAfter => Volatile.Read(ref _firstWriteAt) is var at and not 0
        ? System.Diagnostics.Stopwatch.GetElapsedTime(AcceptedAt, at)
        : null;

    /// <summary>Called before each write: stamps the first.</summary>
    public void Writing() => Interlocked.CompareExchange(ref _firstWriteAt, System.Diagnostics.Stopwatch.GetTimestamp(), 0);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Orderly close (FIN).</summary>
    public void Close() => Shut(reset: false);

    /// <summary>Abrupt close: linger 0 makes the kernel send RST, as a crashed firewall would look.</summary>
    public void Abort() => Shut(reset: true);

    void Shut(bool reset)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            if (reset)
            {
                Socket.LingerState = new LingerOption(true, 0);
            }

            Socket.Close();
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _onClosed(this);
    }
}
