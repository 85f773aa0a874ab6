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
