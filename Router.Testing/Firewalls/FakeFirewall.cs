using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Router.Testing.Firewalls;

/// <summary>
/// A real SMTP server on 127.0.0.1 standing in for an email firewall (smart host). Tests and the demo verb deliver
/// to it, tell it to misbehave through <see cref="Behavior"/>, and read back exactly what it received.
/// </summary>
/// <remarks>
/// The firewall owns its listening socket and accepts connections itself; those it serves go to SmtpServer through
/// <see cref="FirewallEndpointListener"/>. That is what lets it refuse, stall or answer 421 before SmtpServer sees a
/// connection, reset every open connection at once, and listen again on the same port.
/// The listening socket's life (open, accept loop, close, reset every connection) is in FakeFirewall.Listener.cs and
/// the connection-level dead and slow shapes in FakeFirewall.Shapes.cs; the per-connection and per-session parts
/// are their own types (FakeConnection, FirewallSink, FirewallReplies).
/// </remarks>
public sealed partial class FakeFirewall : IAsyncDisposable
{
    /// <summary>Large enough for any test message; enforced while DATA is read, not only against SIZE=.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    /// <summary>SmtpServer's default of 2 minutes for a whole session would cut long reused connections.</summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(10);

    // RFC 5321 asks for at least 100 recipients; each rejected one counts as a SmtpServer "retry".
    const int MaxRetryCount = 100;
    const int ListenBacklog = 512;
    static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);
    static readonly TimeSpan Greeting421Linger = TimeSpan.FromSeconds(10);

    readonly object _gate = new();
    readonly ConcurrentDictionary<long, FakeConnection> _connections = new();
    readonly Channel<FakeConnection> _served = Channel.CreateUnbounded<FakeConnection>();
    readonly CancellationTokenSource _shutdown = new();
    readonly List<ReceivedMessage> _messages = new();

    FirewallBehavior _behavior = FirewallBehavior.Accept;
    Socket? _listener;
    Task _acceptLoop = Task.CompletedTask;
    Task _serverTask = Task.CompletedTask;
    TaskCompletionSource _arrival = NewArrival();
    bool _disposed;
    long _nextConnectionId;
    int _connectionsAccepted;
    int _openConnections;
    int _maxOpenConnections;
    int _mailCommands;
    int _poisoned;

    int _authRejections;

    FakeFirewall(string name, IPAddress address, int port, FirewallSecurity security, IReadOnlyList<string>? extensions)
    {
        Name = name;
        Address = address;
        Port = port;
        Security = security;
        Extensions = extensions;
    }

    public string Name { get; }

    /// <summary>STARTTLS and AUTH as demanded of clients; fixed at start.</summary>
    public FirewallSecurity Security { get; }

    /// <summary>
    /// The EHLO keywords offered besides STARTTLS and AUTH ("SMTPUTF8", "8BITMIME", "REQUIRETLS"), fixed at start; null:
    /// SmtpServer's own list (PIPELINING, 8BITMIME, SMTPUTF8, SIZE).
    /// </summary>
    public IReadOnlyList<string>? Extensions { get; }

    /// <summary>AUTH attempts refused (wrong user or password).</summary>
    public int AuthRejections => Volatile.Read(ref _authRejections);

    /// <summary>The port actually listened on; kept across Refuse/Stop and Restart.</summary>
    public int Port { get; }

    /// <summary>The loopback address it listens on: 127.0.0.1 unless started on another (a DNS pool's members share a port).</summary>
    public IPAddress Address { get; }

    /// <summary>Every TCP connection accepted, whatever was then done with it.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connectionsAccepted);

    /// <summary>TCP connections open now (accepted and not yet closed by either side, as far as the firewall knows).</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>The most connections open at once since start or the last <see cref="ResetMaxOpenConnections"/>.</summary>
    public int MaxOpenConnections => Volatile.Read(ref _maxOpenConnections);

    /// <summary>Starts <see cref="MaxOpenConnections"/> again from the connections open now.</summary>
    public void ResetMaxOpenConnections() => Volatile.Write(ref _maxOpenConnections, Volatile.Read(ref _openConnections));

    /// <summary>Every MAIL FROM that reached the firewall's policy, accepted or not.</summary>
    public int MailCommands => Volatile.Read(ref _mailCommands);

    /// <summary>Connections dropped because a message carried the <see cref="FirewallMode.DropOnMarker"/> marker.</summary>
    public int Poisoned => Volatile.Read(ref _poisoned);

    public int Count
    {
        get
        {
            lock (_messages)
            {
                return _messages.Count;
            }
        }
    }

    /// <summary>A snapshot, in order of arrival.</summary>
    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return _messages.ToArray();
            }
        }
    }

    /// <summary>
    /// Settable at any time from any thread. Switching to <see cref="FirewallBehavior.Refuse"/> closes the listener
    /// and resets every open connection; switching away from it listens again on <see cref="Port"/>.
    /// </summary>
    public FirewallBehavior Behavior
    {
        get => Volatile.Read(ref _behavior);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                // Refuse and NeverAccept both take the listener away (NeverAccept puts a choked one in its place).
                var wasRefusing = _behavior.Mode is FirewallMode.Refuse or FirewallMode.NeverAccept;
                var refusing = value.Mode is FirewallMode.Refuse or FirewallMode.NeverAccept;
                if (refusing && !wasRefusing)
                {
                    CloseListenerLocked();
                    AbortAllConnections();
                }
                else if (!refusing && wasRefusing)
                {
                    CloseChokedLocked();
                    OpenListenerLocked();
                }

                if (value.Mode == FirewallMode.NeverAccept && _behavior.Mode != FirewallMode.NeverAccept)
                {
                    OpenChokedLocked();
                }
                else if (value.Mode == FirewallMode.Refuse)
                {
                    CloseChokedLocked();
                }

                Volatile.Write(ref _behavior, value);
            }
        }
    }

    /// <summary>Starts listening on 127.0.0.1; <paramref name="port"/> 0 picks an ephemeral port.</summary>
    public static Task<FakeFirewall> StartAsync(string name, int port = 0) => StartAsync(name, FirewallSecurity.None, port);

    /// <summary>
    /// Starts listening on 127.0.0.1 with STARTTLS and/or required AUTH as <paramref name="security"/> says;
    /// <paramref name="port"/> 0 picks an ephemeral port.
    /// </summary>
    public static Task<FakeFirewall> StartAsync(string name, FirewallSecurity security, int port = 0) => StartAsync(name, security, null, port);

    /// <summary>
    /// Starts listening on 127.0.0.1 with the security of <paramref name="security"/>; its EHLO offers exactly
    /// <paramref name="extensions"/> besides STARTTLS and AUTH (null: SmtpServer's own list).
    /// </summary>
    public static Task<FakeFirewall> StartAsync(string name, FirewallSecurity security, IReadOnlyList<string>? extensions, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(security);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);

        return StartAsync(name, IPAddress.Loopback, port, security, extensions);
    }

    /// <summary>
    /// Starts listening on <paramref name="address"/> (any 127.x.y.z on Linux), so that several firewalls can share
    /// one port on different addresses like the members of a DNS pool; <paramref name="port"/> 0 picks an ephemeral port.
    /// </summary>
    public static Task<FakeFirewall> StartAsync(string name, IPAddress address, int port, FirewallSecurity? security = null, IReadOnlyList<string>? extensions = null)
    {
        security ??= FirewallSecurity.None;
        var listener = Listen(address, port);
        var firewall = new FakeFirewall(name, address, ((IPEndPoint)listener.LocalEndPoint!).Port, security, extensions);
        firewall.Begin(listener);
        return Task.FromResult(firewall);
    }

    /// <summary>Completes when at least <paramref name="count"/> messages have arrived.</summary>
    /// <exception cref="TimeoutException">Fewer had arrived after <paramref name="timeout"/>.</exception>
    public async Task WaitForCountAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            Task arrival;
            lock (_messages)
            {
                if (_messages.Count >= count)
                {
                    return;
                }

                arrival = _arrival.Task;
            }

            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw NotEnoughMessages(count, timeout);
            }

            try
            {
                await arrival.WaitAsync(remaining).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw NotEnoughMessages(count, timeout);
            }
        }
    }

    /// <summary>Dies: the listener is closed and every connection reset, as with <see cref="FirewallBehavior.Refuse"/>.</summary>
    FakeConnection? _lastAccepted;

    /// <summary>
    /// How long after accepting its latest connection this firewall wrote the greeting (null before it has): a test
    /// that times greetings can tell a router's misjudgement from a machine that stalled the firewall itself.
    /// </summary>
    public TimeSpan? LastGreetingAfter => Volatile.Read(ref _lastAccepted)?.FirstWriteAfter;

    public async Task StopAsync()
    {
        Behavior = FirewallBehavior.Refuse;
        Task acceptLoop;
        lock (_gate)
        {
            acceptLoop = _acceptLoop;
        }

        // After this no connection accepted by the old listener can still be counted or served.
        await acceptLoop.ConfigureAwait(false);
    }

    /// <summary>Listens again on the same port, in <see cref="FirewallBehavior.Accept"/> mode.</summary>
    public Task RestartAsync()
    {
        Behavior = FirewallBehavior.Accept;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Task acceptLoop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            CloseListenerLocked();
            CloseChokedLocked();
            acceptLoop = _acceptLoop;
        }

        _shutdown.Cancel();
        AbortAllConnections();
        await acceptLoop.ConfigureAwait(false);
        try
        {
            await _serverTask.WaitAsync(ShutdownGrace).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        // Connections handed to SmtpServer but not yet picked up.
        while (_served.Reader.TryRead(out var queued))
        {
            queued.Abort();
        }

        _shutdown.Dispose();
    }

    public override string ToString() => $"FakeFirewall {Name} {Address}:{Port} {Behavior}";

    void RaiseMaxOpen(int open)
    {
        var max = Volatile.Read(ref _maxOpenConnections);
        while (open > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxOpenConnections, open, max);
            if (seen == max)
            {
                return;
            }

            max = seen;
        }
    }

    internal void OnMailCommand() => Interlocked.Increment(ref _mailCommands);

    internal void OnPoisoned() => Interlocked.Increment(ref _poisoned);

    internal void OnAuthRejected() => Interlocked.Increment(ref _authRejections);

    internal void Record(ReceivedMessage message)
    {
        TaskCompletionSource arrived;
        lock (_messages)
        {
            _messages.Add(message);
            arrived = _arrival;
            _arrival = NewArrival();
        }

        arrived.SetResult();
    }

    TimeoutException NotEnoughMessages(int expected, TimeSpan timeout) =>
        new($"Firewall '{Name}' received {Count} of {expected} expected messages within {timeout}.");

    static TaskCompletionSource NewArrival() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
