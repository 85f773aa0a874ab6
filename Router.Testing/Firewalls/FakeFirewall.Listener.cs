using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.Storage;

namespace Router.Testing.Firewalls;

/// <summary>
/// The listening socket's life: opened (and re-opened on the same port), the accept loop that applies the
/// behaviour to each new connection before SmtpServer sees it, closed, and every open connection reset.
/// </summary>
public sealed partial class FakeFirewall
{
    void Begin(Socket listener)
    {
        var sink = new FirewallSink(this);
        var services = new ServiceProvider();
        services.Add(new FirewallEndpointListener(_served.Reader));
        services.Add((IMailboxFilter)sink);
        services.Add((IMessageStore)sink);
        // Replaces SmtpServer's default authenticator, which accepts any credentials.
        services.Add((IUserAuthenticator)sink);
        if (Extensions is { } extensions)
        {
            services.Add(new FirewallCommandFactory(extensions));
        }

        var security = Security;
        var options = new SmtpServerOptionsBuilder()
            .ServerName(Name)
            .CustomSmtpGreeting(_ => $"220 {Name} ESMTP ready")
            .MaxMessageSize(MaxMessageSize, MaxMessageSizeHandling.Strict)
            .MaxRetryCount(MaxRetryCount)
            .Endpoint(endpoint =>
            {
                endpoint
                    .Endpoint(new IPEndPoint(Address, Port))
                    .SessionTimeout(SessionTimeout)
                    .AuthenticationRequired(security.RequiresAuth)
                    .AllowUnsecureAuthentication(security.AllowInsecureAuth);
                if (security.Certificate is { } certificate)
                {
                    // SmtpServer's default is TLS 1.2 only.
                    endpoint.Certificate(certificate).SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                }
            })
            .Build();

        var server = new SmtpServer.SmtpServer(options, services);
        lock (_gate)
        {
            _serverTask = server.StartAsync(_shutdown.Token);
            _listener = listener;
            _acceptLoop = AcceptLoopAsync(listener);
        }
    }

    void OpenListenerLocked()
    {
        var listener = Listen(Address, Port);
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    void CloseListenerLocked()
    {
        var listener = _listener;
        _listener = null;
        listener?.Close();
    }

    void AbortAllConnections()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }
    }

    static Socket Listen(IPAddress address, int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            AllowRebind(listener);
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(ListenBacklog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sets plain SO_REUSEADDR so Restart can bind the port while connections on it sit in TIME_WAIT. Not
    /// <see cref="SocketOptionName.ReuseAddress"/>: on Unix .NET maps that to SO_REUSEPORT as well, which would let
    /// two live listeners share a port silently instead of failing.
    /// </summary>
    internal static void AllowRebind(Socket listener)
    {
        Span<byte> on = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(on, 1);
        if (OperatingSystem.IsLinux())
        {
            listener.SetRawSocketOption(optionLevel: 1 /* SOL_SOCKET */, optionName: 2 /* SO_REUSEADDR */, on);
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            listener.SetRawSocketOption(optionLevel: 0xFFFF /* SOL_SOCKET */, optionName: 4 /* SO_REUSEADDR */, on);
        }

        // Windows lets a listener bind over TIME_WAIT without any option.
    }

    async Task AcceptLoopAsync(Socket listener)
    {
        // Off the caller's stack: the Behavior setter holds _gate while starting this.
        await Task.Yield();
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset
                                              && IsCurrent(listener))
            {
                continue;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The listener was closed (Refuse, Stop, Dispose).
                return;
            }

            FakeConnection connection;
            FirewallBehavior behavior;
            lock (_gate)
            {
                if (_disposed || !ReferenceEquals(listener, _listener))
                {
                    // Accepted by the kernel just before the listener closed: the firewall is down, so reset it.
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return;
                }

                var id = Interlocked.Increment(ref _nextConnectionId);
                connection = new FakeConnection(id, socket, closed =>
                {
                    if (_connections.TryRemove(closed.Id, out _))
                    {
                        Interlocked.Decrement(ref _openConnections);
                    }
                });
                _connections[id] = connection;
                RaiseMaxOpen(Interlocked.Increment(ref _openConnections));
                _lastAccepted = connection;
                Interlocked.Increment(ref _connectionsAccepted);
                behavior = _behavior;
            }

            switch (behavior.Mode)
            {
                case FirewallMode.StallBeforeGreeting:
                    _ = HoldSilentlyAsync(connection);
                    break;
                case FirewallMode.Greeting421:
                    _ = AnswerGreeting421Async(connection);
                    break;
                case FirewallMode.StallAtEhlo:
                    _ = GreetThenHoldAsync(connection);
                    break;
                case FirewallMode.ResetAfterGreeting:
                    _ = GreetThenResetAsync(connection);
                    break;
                case FirewallMode.Slow:
                    _ = ServeAfterAsync(connection, behavior.GreetingDelay);
                    break;
                default:
                    _served.Writer.TryWrite(connection);
                    break;
            }
        }
    }

    bool IsCurrent(Socket listener)
    {
        lock (_gate)
        {
            return ReferenceEquals(listener, _listener);
        }
    }
}
