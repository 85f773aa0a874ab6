using System.Net;
using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Ingress.Auth;
using Router.Actors.Ingress.Tls;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Actors.Routing;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Spool;
using SmtpServer;
using SmtpServer.Net;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// Wraps the SMTP listener (the SmtpServer library) and supervises it: if the listener faults it
/// is started again after a short pause and the node keeps running. On <see cref="StopListening"/>
/// it stops accepting and answers once every in-flight transaction has finished.
/// </summary>
public sealed partial class IngressActor : ReceiveActor, IWithTimers
{
    /// <summary>Stop accepting connections; the reply (<see cref="Done"/>) comes when in-flight sessions have ended.</summary>
    public sealed record StopListening(TimeSpan Grace);

    public sealed record Done
    {
        public static Done Instance { get; } = new();
    }

    /// <summary>Ask for the endpoints the listener is bound to (port 0 becomes the real port).</summary>
    public sealed record GetEndpoints
    {
        public static GetEndpoints Instance { get; } = new();
    }

    /// <summary>Ask whether the node takes new mail now (<c>/health/ready</c>); the answer is a <see cref="Readiness"/>.</summary>
    public sealed record GetReadiness
    {
        public static GetReadiness Instance { get; } = new();
    }

    /// <summary>Ask for the endpoints each listener is bound to, by listener name; the answer is an <c>IReadOnlyDictionary&lt;string, IPEndPoint[]&gt;</c>.</summary>
    public sealed record GetListenerEndpoints
    {
        public static GetListenerEndpoints Instance { get; } = new();
    }

    /// <summary>Ready: every listener is open and accepting, and no back pressure. Otherwise <paramref name="Reason"/> says why not.</summary>
    public sealed record Readiness(bool Ready, string? Reason);

    private sealed record ListenerStopped(Exception? Fault);

    private sealed class Restart
    {
        public static readonly Restart Instance = new();
        private Restart() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RouterTelemetry _telemetry = RouterTelemetry.Get(Context.System);
    // The settings the listener was started with (listen addresses, session limits); the live ones are _edge's.
    private readonly SmtpOptions _smtp;
    private readonly MessageSpool _spool;
    private readonly IActorRef _router;
    private AddressSpaceTable _table;
    private LiveEdge? _edge;
    private readonly ILoggerFactory _loggers;
    private readonly ShadowReplicator? _shadow;
    private readonly BackPressure _backPressure;
    private readonly AuthFailureLimiter _authFailures;
    private readonly InflightBudget _inflight;
    private readonly List<IPEndPoint> _bound = [];
    private readonly List<(string Listener, IPEndPoint Endpoint)> _boundByListener = [];
    private readonly List<(IActorRef Waiter, bool ByListener)> _endpointWaiters = [];
    // Which listener each endpoint definition belongs to (by reference): sessions find their listener's policy by it.
    private Dictionary<IEndpointDefinition, string> _listenerOf = new(ReferenceEqualityComparer.Instance);
    private SmtpServer.SmtpServer? _server;
    private GracefulListenerFactory? _listeners;
    private CancellationTokenSource? _cancel;
    private bool _stopping;
    private TimeSpan _backoff = TimeSpan.FromMilliseconds(500);

    public IngressActor(SmtpOptions smtp, SpoolSettings spoolSettings, MessageSpool spool, IActorRef router, AddressSpaceTable table, ILoggerFactory loggers,
        ShadowReplicator? shadow = null)
    {
        _shadow = shadow;
        _backPressure = new BackPressure(spoolSettings,
            () => spool.Statistics is var s ? (s.MessagesQueued, s.BytesQueued) : default,
            () => new DriveInfo(Path.GetFullPath(spoolSettings.Path)).AvailableFreeSpace,
            loggers.CreateLogger("Router.Ingress"));
        _smtp = smtp;
        _inflight = new InflightBudget(smtp.Limits.MaxInflightBytes);
        _spool = spool;
        _router = router;
        _table = table;
        _loggers = loggers;
        _authFailures = new AuthFailureLimiter(smtp.Auth.MaxFailuresPerClient, smtp.Auth.FailureWindow, TimeProvider.System);

        Receive<ListenerStopped>(OnListenerStopped);
        Receive<Restart>(_ => Start());
        Receive<EndpointEventArgs>(e =>
        {
            if (e.LocalEndPoint is IPEndPoint endpoint)
            {
                var listener = _listenerOf.GetValueOrDefault(e.EndpointDefinition, SmtpOptions.DefaultListener);
                _bound.Add(endpoint);
                _boundByListener.Add((listener, endpoint));
                _log.Info("SMTP listener open on {Endpoint} (listener {Listener})", endpoint, listener);
            }
            if (_bound.Count >= EndpointCount)
            {
                foreach (var (waiter, byListener) in _endpointWaiters)
                    waiter.Tell(byListener ? ListenerEndpoints() : _bound.ToArray());
                _endpointWaiters.Clear();
            }
        });
        Receive<GetEndpoints>(_ =>
        {
            if (_bound.Count >= EndpointCount)
                Sender.Tell(_bound.ToArray());
            else
                _endpointWaiters.Add((Sender, false));
        });
        Receive<GetListenerEndpoints>(_ =>
        {
            if (_bound.Count >= EndpointCount)
                Sender.Tell(ListenerEndpoints());
            else
                _endpointWaiters.Add((Sender, true));
        });
        Receive<StopListening>(OnStopListening);
        Receive<GetReadiness>(_ => Sender.Tell(CurrentReadiness()));
        Receive<Reconfigure>(OnReconfigure);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private int EndpointCount => _smtp.EffectiveListeners.Sum(l => l.Listen.Count);

    private IReadOnlyDictionary<string, IPEndPoint[]> ListenerEndpoints() =>
        _smtp.EffectiveListeners.ToDictionary(l => l.Name,
            l => _boundByListener.Where(b => b.Listener == l.Name).Select(b => b.Endpoint).ToArray(), StringComparer.Ordinal);

    /// <param name="shadow">Clustered with <c>router.shadow</c> on: sends each message's copy to a peer before the 250.</param>
    public static Props Props(SmtpOptions smtp, SpoolSettings spoolSettings, MessageSpool spool, IActorRef router, AddressSpaceTable table, ILoggerFactory loggers,
        ShadowReplicator? shadow = null) =>
        Akka.Actor.Props.Create(() => new IngressActor(smtp, spoolSettings, spool, router, table, loggers, shadow));

    protected override void PreStart()
    {
        foreach (var line in EdgeSecurityEndpoint.Describe(_smtp, DateTimeOffset.Now))
        {
            if (line.StartsWith("WARNING", StringComparison.Ordinal))
                _log.Warning(line);
            else
                _log.Info(line);
        }
        foreach (var listener in _smtp.EffectiveListeners)
            _log.Info("SMTP listener {Listener} on {Endpoints}: {Policy}", listener.Name, string.Join(", ", listener.Listen), Describe(listener.Relay));
        Start();
    }

    protected override void PostStop()
    {
        _cancel?.Cancel();
        _server?.Shutdown();
    }

    private void Start()
    {
        _bound.Clear();
        _boundByListener.Clear();
        var self = Self;
        var inflight = _inflight;
        var refused = _telemetry.Metrics.Refused;
        // Reloads replace the edge's parts (limits, relay networks, AUTH users, certificate); the listener stays open.
        var edge = _edge ??= new LiveEdge(BuildEdge(_smtp, _table));
        var listeners = new GracefulListenerFactory(_smtp.MaxConnections, new AddressConnections(_smtp.Limits.MaxConnectionsPerIp),
            () => NewGuard(edge.Current.Smtp, inflight, refused),
            _smtp.Tls.HandshakeTimeout, refused,
            // A listener block's own max-connections, counted on its endpoints together (the endpoint's block: listenerOf below).
            definition => _listenerOf.TryGetValue(definition, out var name) && _smtp.ListenerNamed(name) is { MaxConnections: { } max }
                ? (name, max)
                : null);
        _listeners = listeners;
        listeners.EndpointStarted += (_, e) => self.Tell(e);

        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new RouterCommandFactory(() => edge.Current.Smtp.MaxMessageSize, context => edge.Current.Security.OffersAuth(context)));
        var listenerOf = _listenerOf = new Dictionary<IEndpointDefinition, string>(ReferenceEqualityComparer.Instance);
        // Each session is held to its own listener's relay policy (listener blocks), found by the endpoint it came in on.
        services.Add(new SmtpServer.Storage.DelegatingMailboxFilterFactory(context =>
            edge.Current.FilterFor(listenerOf.GetValueOrDefault(context.EndpointDefinition, SmtpOptions.DefaultListener))));
        services.Add(new SmtpServer.Storage.DelegatingMessageStoreFactory(_ => edge.Current.Store));
        // The library's default authenticator accepts any user and password; this one knows
        // only smtp.auth.users (none by default: every attempt fails).
        services.Add(new SmtpServer.Authentication.DelegatingUserAuthenticatorFactory(_ => edge.Current.Authenticator));

        var builder = new SmtpServerOptionsBuilder()
            .ServerName(_smtp.Hostname)
            // The library enforces a hard limit while reading DATA; ours is checked exactly in the
            // store so the client gets 552 5.3.4. The slack keeps the library's own, less precise
            // reply for grossly oversized mail only. A reload may lower max-message-size, not raise it above this.
            .MaxMessageSize((int)Math.Min(int.MaxValue, _smtp.MaxMessageSize + (1 << 20)), MaxMessageSizeHandling.Strict)
            // max-errors and command-timeout are enforced by each session's SessionGuard, with
            // exact replies. The library's own count of consecutive errors would end a session
            // silently, even one whose only "errors" are 452s past max-recipients; it is off.
            .MaxRetryCount(int.MaxValue)
            .CommandWaitTimeout(_smtp.CommandTimeout + TimeSpan.FromSeconds(30))
            .CustomSmtpGreeting(_ => $"220 {edge.Current.Smtp.Banner}");
        foreach (var listener in _smtp.EffectiveListeners)
        {
            foreach (var endpoint in listener.Listen)
            {
                var definition = new EndpointDefinitionBuilder().Endpoint(endpoint).SessionTimeout(_smtp.SessionTimeout).WithEdgeSecurity(_smtp, edge, listener).Build();
                listenerOf[definition] = listener.Name;
                builder.Endpoint(definition);
            }
        }

        var server = new SmtpServer.SmtpServer(builder.Build(), services);
        server.SessionCreated += (_, e) => e.Context.CommandExecuting += (_, c) =>
        {
            switch (c.Command)
            {
                case EhloCommand ehlo:
                    SessionState.Of(e.Context).Helo = ehlo.DomainOrAddress;
                    break;
                case HeloCommand helo:
                    SessionState.Of(e.Context).Helo = helo.DomainOrAddress;
                    break;
            }
        };
        server.SessionCreated += (_, e) => listeners.SessionStarted(e.Context);
        server.SessionCreated += (_, _) => _telemetry.Metrics.SmtpSessionStarted();
        _telemetry.Metrics.ObserveSmtpSessions(() => listeners.OpenSessions);
        server.SessionCreated += (_, e) =>
        {
            // A session keeps the edge policy it started with.
            var parts = edge.Current;
            parts.Security.Attach(e.Context);
            var size = parts.Smtp.MaxMessageSizeOn(parts.Smtp.ListenerNamed(listenerOf.GetValueOrDefault(e.Context.EndpointDefinition, SmtpOptions.DefaultListener)));
            SessionState.Of(e.Context).MaxMessageSize = size;
            SessionState.Of(e.Context).Offer =
                () => new EsmtpOffer(size, parts.Security.OffersAuth(e.Context) || e.Context.Authentication.IsAuthenticated,
                    RequireTls: e.Context.EndpointDefinition.CertificateFactory is not null, Secure: e.Context.Pipe?.IsSecure == true);
        };
        server.SessionCreated += (_, e) => e.Context.CommandExecuting += (_, c) => SessionGuard.Of(e.Context)?.OnCommandExecuting(c.Command, SessionState.Of(e.Context));
        server.SessionCreated += (_, e) => e.Context.CommandExecuted += (_, c) =>
        {
            // These end the transaction in the library (DATA once its data is stored or refused); BDAT chunks go with it.
            if (c.Command is RsetCommand or DataCommand or HeloCommand or EhloCommand)
            {
                SessionState.Of(e.Context).EndTransaction();
                SessionGuard.Of(e.Context)?.DiscardChunks();
            }
        };
        server.SessionCompleted += (_, e) => listeners.SessionEnded(e.Context);
        server.SessionCancelled += (_, e) => listeners.SessionEnded(e.Context);
        server.SessionFaulted += (_, e) =>
        {
            listeners.SessionEnded(e.Context);
            _log.Debug("SMTP session faulted: {Error}", e.Exception.Message);
        };

        _server = server;
        _cancel = new CancellationTokenSource();
        server.StartAsync(_cancel.Token).ContinueWith(t => new ListenerStopped(t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(self);
    }

    private static SessionGuard NewGuard(SmtpOptions smtp, InflightBudget inflight, Action<string> refused) =>
        new(smtp.Limits, smtp.CommandTimeout, inflight, refused);

    private Readiness CurrentReadiness()
    {
        if (_stopping)
            return new Readiness(false, "the SMTP listener is closing (shutdown or cluster leave)");
        if (_server is null || _bound.Count < EndpointCount)
            return new Readiness(false, $"SMTP listener open on {_bound.Count} of {EndpointCount} endpoint(s)");
        return _backPressure.Check() is { } pressure
            ? new Readiness(false, $"back pressure: {pressure}")
            : new Readiness(true, null);
    }

    private void OnListenerStopped(ListenerStopped stopped)
    {
        if (_stopping)
            return;
        _log.Error(stopped.Fault, "SMTP listener stopped unexpectedly; restarting in {Delay}", _backoff);
        _server = null;
        Timers.StartSingleTimer("restart", Restart.Instance, _backoff);
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
    }

    private void OnStopListening(StopListening stop)
    {
        _stopping = true;
        var server = _server;
        if (server is null)
        {
            Sender.Tell(Done.Instance);
            return;
        }
        var listeners = _listeners!;
        var drained = listeners.StopAcceptingAsync();
        _log.Info("SMTP listener closing; waiting up to {Grace} for {Sessions} open session(s) to finish", stop.Grace, listeners.OpenSessions);
        var cancel = _cancel;
        var replyTo = Sender;
        Task.WhenAny(drained, Task.Delay(stop.Grace)).ContinueWith(_ =>
        {
            // Past the grace period, sessions still open are cut; a transaction not yet
            // acknowledged is the client's to retry, one acknowledged is already durable.
            cancel?.Cancel();
            return (object)Done.Instance;
        }, TaskScheduler.Default).PipeTo(replyTo);
    }
}
