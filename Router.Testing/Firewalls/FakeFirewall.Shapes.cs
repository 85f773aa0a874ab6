using System.Net;
using System.Net.Sockets;

namespace Router.Testing.Firewalls;

/// <summary>
/// The connection-level shapes of a dead or slow firewall (issue 18): greeted late, greeted and then silent,
/// greeted and then reset, never accepted. Apart from <c>FakeFirewall.cs</c> so that file keeps its size.
/// </summary>
public sealed partial class FakeFirewall
{
    ChokedListener? _choked;

    /// <summary>Slow but alive: the connection is handed to the SMTP server (which greets at once) after <paramref name="delay"/>.</summary>
    /// <summary>
    /// <paramref name="count"/> firewalls on 127.0.0.2, .3, ... sharing one ephemeral port (picked by the first), named
    /// <paramref name="prefix"/>-2, -3, ...: the members of a DNS pool, or a domain's MX hosts. A port already taken on
    /// one of the other addresses makes it start over with another (at most five times).
    /// </summary>
    public static async Task<FakeFirewall[]> StartSharingPortAsync(string prefix, int count, IReadOnlyList<string>? extensions = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var started = new List<FakeFirewall>();
            try
            {
                for (var i = 0; i < count; i++)
                    started.Add(await StartAsync($"{prefix}-{i + 2}", IPAddress.Parse($"127.0.0.{i + 2}"), i == 0 ? 0 : started[0].Port,
                        extensions: extensions).ConfigureAwait(false));
                return started.ToArray();
            }
            catch (SocketException) when (attempt < 5)
            {
                foreach (var firewall in started)
                    await firewall.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    async Task ServeAfterAsync(FakeConnection connection, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Abort();
            return;
        }

        if (!_served.Writer.TryWrite(connection))
        {
            connection.Abort();
        }
    }

    /// <summary>Greets, then reads and discards whatever arrives and never answers (stalls at EHLO).</summary>
    async Task GreetThenHoldAsync(FakeConnection connection)
    {
        var buffer = new byte[1024];
        try
        {
            await connection.Socket.SendAsync(FirewallReplies.Greeting(Name), SocketFlags.None).ConfigureAwait(false);
            while (await connection.Socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Close();
        }
    }

    /// <summary>Greets, then resets the connection (RST), whatever the client sent meanwhile.</summary>
    async Task GreetThenResetAsync(FakeConnection connection)
    {
        try
        {
            await connection.Socket.SendAsync(FirewallReplies.Greeting(Name), SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Abort();
        }
    }

    void OpenChokedLocked()
    {
        _choked ??= ChokedListener.Open(Port);
    }

    void CloseChokedLocked()
    {
        _choked?.Dispose();
        _choked = null;
    }

    /// <summary>A blackhole: never sends a byte, discards what arrives, until the client gives up or we are reset.</summary>
    static async Task HoldSilentlyAsync(FakeConnection connection)
    {
        var buffer = new byte[1024];
        try
        {
            while (await connection.Socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Close();
        }
    }

    static async Task AnswerGreeting421Async(FakeConnection connection)
    {
        var socket = connection.Socket;
        var buffer = new byte[1024];
        try
        {
            await socket.SendAsync(FirewallReplies.Greeting421, SocketFlags.None).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);

            // Wait for the client to hang up, so that closing with unread input cannot turn into an RST that
            // overtakes the 421 on its way to the client.
            using var linger = new CancellationTokenSource(Greeting421Linger);
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            connection.Close();
        }
    }
}

/// <summary>
/// A port that listens and never accepts, with its accept queue full, so the kernel drops every further SYN and a
/// client's connect times out: the "SYN unanswered" blackhole, deterministic on loopback. A non-routable address
/// would depend on the machine's routes and firewall rules (it may answer with an ICMP error, i.e. a refusal); a
/// closed port answers RST at once. Linux queues one connection more than the backlog given to listen(2), so with
/// backlog 0 one connection of our own fills the queue; every connect after it is checked not to complete.
/// </summary>
internal sealed class ChokedListener : IDisposable
{
    static readonly TimeSpan FillTimeout = TimeSpan.FromSeconds(10);

    readonly Socket _listener;
    readonly List<Socket> _fillers = [];

    ChokedListener(Socket listener) => _listener = listener;

    public static ChokedListener Open(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var choked = new ChokedListener(listener);
        try
        {
            FakeFirewall.AllowRebind(listener);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(0);
            // Fill the accept queue: connects that complete are queued; the first that does not is a dropped SYN.
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                choked._fillers.Add(filler);
                using var attempt = new CancellationTokenSource(i == 0 ? FillTimeout : TimeSpan.FromMilliseconds(500));
                try
                {
                    filler.ConnectAsync(IPAddress.Loopback, port, attempt.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (i > 0)
                {
                    // The queue is full: this SYN was dropped. Nothing more is needed.
                    filler.Dispose();
                    choked._fillers.Remove(filler);
                    return choked;
                }
            }

            throw new InvalidOperationException($"port {port}: the accept queue never filled; connects would not time out");
        }
        catch
        {
            choked.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _fillers.Clear();
        _listener.Dispose();
    }
}
