using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Router.Actors.Ingress;

/// <summary>
/// Lets the listener stop accepting without cutting the sessions already open. The library's own
/// Shutdown() cancels every active session along with the listener (a transaction in the middle
/// of DATA gets 554), so instead the TCP listeners are closed here and the accept loops are parked
/// until the server is finally cancelled, once the open sessions have ended. Each accepted
/// session's replies pass through <see cref="PolishedPipe"/> (enhanced status codes).
/// </summary>
/// <param name="refused">Told each connection turned away before a session (<see cref="RefusalReason"/>): the metrics.</param>
/// <param name="listenerLimit">The listener block an endpoint belongs to and its own session limit, if it has one (<c>max-connections</c> in the block).</param>
internal sealed class GracefulListenerFactory(int maxSessions, AddressConnections? perAddress = null, Func<SessionGuard>? newGuard = null,
    TimeSpan? tlsHandshakeTimeout = null, Action<string>? refused = null, Func<IEndpointDefinition, (string Listener, int MaxSessions)?>? listenerLimit = null)
    : EndpointListenerFactory
{
    // Open sessions per listener block with a limit of its own, and the block each such session holds a slot of.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _perListener = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _listenerSlots = new();
    private static readonly byte[] TooManySessions = "421 4.7.0 Too many connections, try again later\r\n"u8.ToArray();
    private static readonly byte[] TooManyFromAddress = System.Text.Encoding.ASCII.GetBytes(LimitReplies.TooManyConnectionsFromAddress + "\r\n");

    // The client address holding a max-connections-per-ip slot, by session id.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, System.Net.IPAddress> _slots = new();

    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly int _maxSessions = maxSessions;
    private readonly TimeSpan? _tlsHandshakeTimeout = tlsHandshakeTimeout;
    private readonly Action<string>? _refused = refused;
    private readonly List<IEndpointListener> _listeners = [];
    private readonly Lock _gate = new();
    // By session id: the library also reports accept errors as "session faulted", without a session.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> _sessions = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int OpenSessions => _sessions.Count;

    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new Listener(Open(endpointDefinition), this, listenerLimit?.Invoke(endpointDefinition));
        lock (_gate)
        {
            if (_stopAccepting.IsCancellationRequested)
                listener.Dispose();
            else
                _listeners.Add(listener);
        }
        return listener;
    }

    /// <summary>What the library's factory does, with <see cref="SocketListener"/> (larger reads) as the listener.</summary>
    private SocketListener Open(IEndpointDefinition endpointDefinition)
    {
        var tcp = new System.Net.Sockets.TcpListener(endpointDefinition.Endpoint);
        tcp.Start();
        var started = new EndpointEventArgs(endpointDefinition, tcp.LocalEndpoint);
        OnEndpointStarted(started);
        return new SocketListener(tcp, () => OnEndpointStopped(started));
    }

    public void SessionStarted(ISessionContext session) => _sessions.TryAdd(session.SessionId, 0);

    public void SessionEnded(ISessionContext session)
    {
        if (_slots.TryRemove(session.SessionId, out var address))
            perAddress?.Close(address);
        if (_listenerSlots.TryRemove(session.SessionId, out var block))
            _perListener.AddOrUpdate(block, 0, (_, n) => n - 1);
        if (_sessions.TryRemove(session.SessionId, out _) && _sessions.IsEmpty && _stopAccepting.IsCancellationRequested)
            _drained.TrySetResult();
    }

    /// <summary>Closes every listening socket; completes when no session is open any more.</summary>
    public Task StopAcceptingAsync()
    {
        lock (_gate)
        {
            _stopAccepting.Cancel();
            foreach (var listener in _listeners)
                listener.Dispose();
            _listeners.Clear();
        }
        if (OpenSessions == 0)
            _drained.TrySetResult();
        return _drained.Task;
    }

    /// <summary>Past max-connections a client gets 421 and is closed, without holding a session.</summary>
    private static async Task RefuseAsync(ISecurableDuplexPipe pipe, byte[] reply)
    {
        try
        {
            await pipe.Output.WriteAsync(reply).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The client is being turned away either way.
        }
        finally
        {
            pipe.Dispose();
        }
    }

    /// <summary>Past its listener block's own max-connections a client gets 421 4.7.0 like past the edge's.</summary>
    private bool TakeListenerSlot(ISessionContext context, (string Listener, int MaxSessions)? limit)
    {
        if (limit is not { } own)
            return true;
        var taken = false;
        _perListener.AddOrUpdate(own.Listener, _ => (taken = own.MaxSessions > 0) ? 1 : 0, (_, n) => (taken = n < own.MaxSessions) ? n + 1 : n);
        if (taken)
            _listenerSlots[context.SessionId] = own.Listener;
        return taken;
    }

    /// <summary>Gives back a listener slot taken for a connection then turned away for another reason.</summary>
    private void ReturnListenerSlot(ISessionContext context)
    {
        if (_listenerSlots.TryRemove(context.SessionId, out var block))
            _perListener.AddOrUpdate(block, 0, (_, n) => n - 1);
    }

    /// <summary>Past max-connections-per-ip a client gets 421 4.7.0; loopback counts like any address.</summary>
    private bool TakeAddressSlot(ISessionContext context)
    {
        if (perAddress is null || SessionState.ClientAddress(context) is not { } address)
            return true;
        if (!perAddress.TryOpen(address))
            return false;
        _slots[context.SessionId] = address;
        return true;
    }

    private PolishedPipe Polish(ISecurableDuplexPipe pipe, ISessionContext context)
    {
        var guard = newGuard?.Invoke();
        var polished = new PolishedPipe(pipe, line => SessionState.Of(context).OnCommandLine(line), guard, _tlsHandshakeTimeout);
        if (guard is not null)
        {
            guard.Output = () => polished.Output;
            guard.Session = SessionState.Of(context);
            guard.Attach(context);
        }
        return polished;
    }

    private sealed class Listener(IEndpointListener inner, GracefulListenerFactory owner, (string Listener, int MaxSessions)? limit) : IEndpointListener
    {
        private int _disposed;

        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var stopAccepting = owner._stopAccepting.Token;
            if (!stopAccepting.IsCancellationRequested)
            {
                using var accepting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopAccepting);
                try
                {
                    while (true)
                    {
                        var pipe = await inner.GetPipeAsync(context, accepting.Token).ConfigureAwait(false);
                        if (owner.OpenSessions >= owner._maxSessions || !owner.TakeListenerSlot(context, limit))
                        {
                            owner._refused?.Invoke(RefusalReason.Connections);
                            _ = RefuseAsync(pipe, TooManySessions);
                        }
                        else if (owner.TakeAddressSlot(context))
                            return owner.Polish(pipe, context);
                        else
                        {
                            owner.ReturnListenerSlot(context);
                            owner._refused?.Invoke(RefusalReason.ConnectionsPerIp);
                            _ = RefuseAsync(pipe, TooManyFromAddress);
                        }
                        // The library's listener records the endpoints in the context; it is reused.
                        context.Properties.Remove(EndpointListener.LocalEndPointKey);
                        context.Properties.Remove(EndpointListener.RemoteEndPointKey);
                    }
                }
                catch (Exception) when (stopAccepting.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Stopped accepting: fall through and park.
                }
            }
            // The library's accept loop would spin on a closed listener; hold it until the server
            // itself is cancelled (its cancellation ends the loop quietly).
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            throw new OperationCanceledException(cancellationToken);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                inner.Dispose();
        }
    }
}
