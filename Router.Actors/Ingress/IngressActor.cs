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
public sealed class IngressActor : ReceiveActor, IWithTimers
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
    private readonly SmtpOptions _smtp;
    private readonly MessageSpool _spool;
    private readonly IActorRef _router;
    private readonly AddressSpaceTable _table;
    private readonly ILoggerFactory _loggers;
    private readonly ShadowReplicator? _shadow;
    private readonly BackPressure _backPressure;
    private readonly AuthFailureLimiter _authFailures;
    private readonly InflightBudget _inflight;
    private readonly List<IPEndPoint> _bound = [];
    private readonly List<IActorRef> _endpointWaiters = [];
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
                _bound.Add(endpoint);
                _log.Info("SMTP listener open on {Endpoint}", endpoint);
            }
            if (_bound.Count >= _smtp.Listen.Count)
            {
                foreach (var waiter in _endpointWaiters)
                    waiter.Tell(_bound.ToArray());
                _endpointWaiters.Clear();
            }
        });
        Receive<GetEndpoints>(_ =>
        {
            if (_bound.Count >= _smtp.Listen.Count)
                Sender.Tell(_bound.ToArray());
            else
                _endpointWaiters.Add(Sender);
        });
        Receive<StopListening>(OnStopListening);
        Receive<GetReadiness>(_ => Sender.Tell(CurrentReadiness()));
    }

    public ITimerScheduler Timers { get; set; } = null!;

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
        var self = Self;
        var limits = _smtp.Limits;
        var inflight = _inflight;
        var refused = _telemetry.Metrics.Refused;
        var listeners = new GracefulListenerFactory(_smtp.MaxConnections, new AddressConnections(limits.MaxConnectionsPerIp),
            () => new SessionGuard(limits, _smtp.CommandTimeout, inflight, refused), _smtp.Tls.HandshakeTimeout, refused);
        _listeners = listeners;
        listeners.EndpointStarted += (_, e) => self.Tell(e);

        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        var security = new EdgeSecurityPolicy(_smtp.Tls, _smtp.Auth, _authFailures);
        services.Add(new RouterCommandFactory(_smtp.MaxMessageSize, security.OffersAuth));
        services.Add(new RelayMailboxFilter(_table, _smtp.RelayAllowedNetworks, _smtp.MaxMessageSize, _smtp.MaxRecipients, _backPressure));
        services.Add(new TracedMessageStore(new SpoolMessageStore(_spool, _router, _smtp.Hostname, _smtp.MaxMessageSize, _smtp.MaxHops,
            _smtp.NormalizeBareLineEndings, _loggers.CreateLogger("Router.Ingress"), TimeProvider.System, _telemetry, _shadow), _telemetry.Tracing));
        // The library's default authenticator accepts any user and password; this one knows
        // only smtp.auth.users (none by default: every attempt fails).
        services.Add(new ConfiguredUserAuthenticator(_smtp.Auth, _authFailures, _loggers.CreateLogger("Router.Ingress")));

        var builder = new SmtpServerOptionsBuilder()
            .ServerName(_smtp.Hostname)
            // The library enforces a hard limit while reading DATA; ours is checked exactly in the
            // store so the client gets 552 5.3.4. The slack keeps the library's own, less precise
            // reply for grossly oversized mail only.
            .MaxMessageSize((int)Math.Min(int.MaxValue, _smtp.MaxMessageSize + (1 << 20)), MaxMessageSizeHandling.Strict)
            // max-errors and command-timeout are enforced by each session's SessionGuard, with
            // exact replies. The library's own count of consecutive errors would end a session
            // silently, even one whose only "errors" are 452s past max-recipients; it is off.
            .MaxRetryCount(int.MaxValue)
            .CommandWaitTimeout(_smtp.CommandTimeout + TimeSpan.FromSeconds(30))
            .CustomSmtpGreeting(_ => $"220 {_smtp.Banner}");
        foreach (var endpoint in _smtp.Listen)
            builder.Endpoint(e => e.Endpoint(endpoint).SessionTimeout(_smtp.SessionTimeout).WithEdgeSecurity(_smtp));

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
        server.SessionCreated += (_, e) => security.Attach(e.Context);
        server.SessionCreated += (_, e) => SessionState.Of(e.Context).Offer =
            () => new EsmtpOffer(_smtp.MaxMessageSize, security.OffersAuth(e.Context) || e.Context.Authentication.IsAuthenticated,
                RequireTls: e.Context.EndpointDefinition.CertificateFactory is not null, Secure: e.Context.Pipe?.IsSecure == true);
        server.SessionCreated += (_, e) => e.Context.CommandExecuting += (_, c) => SessionGuard.Of(e.Context)?.OnCommandExecuting(c.Command, SessionState.Of(e.Context));
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

    private Readiness CurrentReadiness()
    {
        if (_stopping)
            return new Readiness(false, "the SMTP listener is closing (shutdown or cluster leave)");
        if (_server is null || _bound.Count < _smtp.Listen.Count)
            return new Readiness(false, $"SMTP listener open on {_bound.Count} of {_smtp.Listen.Count} endpoint(s)");
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
