using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Health.Latency;
using Router.Actors.Observability;
using Router.Messages.Delivery;
using Router.Messages.Health;

namespace Router.Actors.Health;

/// <summary>
/// One per firewall per node. Owns the firewall's pool of delivery workers (one SMTP connection
/// each), its circuit breaker and its probe. Connectors send it jobs; it runs as many at once as
/// its health allows and hands back the ones it cannot run when it trips or is drained.
/// </summary>
public sealed partial class FirewallActor : ReceiveActor, IWithTimers
{
    private sealed class Tick
    {
        public static readonly Tick Instance = new();
        private Tick() { }
    }

    // max-message-rate: the bucket had no token; this comes when it has one.
    private sealed class RateDue
    {
        public static readonly RateDue Instance = new();
        private RateDue() { }
    }

        private sealed record ProbeFinished(bool Succeeded, string Detail, FirewallCapabilities? Capabilities = null);

    /// <summary>How often time-driven health changes (open time over, probes, slow start) are checked.</summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(200);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private FirewallOptions _firewall;
    private IReadOnlyList<string> _connectorIds;
    private readonly string _node;
    private readonly Func<string, Stream> _openBody;
    private HealthPolicy _policy;
    private readonly TimeProvider _clock;
    private readonly int _poisonAfter;
    private readonly RouterMetrics.FirewallMetrics _metrics;
    private readonly Stack<IActorRef> _idle = new();
    private readonly Dictionary<IActorRef, (DeliveryJob Job, IActorRef Connector)> _busy = [];
    private readonly LinkedList<(DeliveryJob Job, IActorRef Connector)> _queue = new();
    private readonly HashSet<IActorRef> _subscribers = [];
    private FirewallHealth _health;
    // The firewall's latency history per phase, fed by its workers and its probe (issue 18).
    private LatencyBook _latencies;
    // Cancelled when the firewall trips: attempts still waiting on it are abandoned and placed
    // elsewhere at once instead of each sitting out its timeout.
    private CancellationTokenSource _inFlight = new();
    private FirewallStatus? _lastStatus;
    private bool _probing;
    private DateTimeOffset _lastProbe;
    private long _delivered;
    private long _failed;
    private long _hedged;
    // Evidence for the cluster's health view (issue 17): when this node last saw the firewall work, and last tripped it.
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastTrip;
    private FirewallCapabilities? _capabilities;
    // Sending limits (max-message-rate, max-connection-rate), this node's part of them (FirewallBudget.cs); null when unlimited.
    private TokenBucket? _messageRate;
    private TokenBucket? _connectionRate;
    // Reloads (see FirewallReload.cs): workers of the settings before, closed when their attempt ends.
    private readonly HashSet<IActorRef> _retiring = [];
    private int _generation;
    private bool _removed;

    public FirewallActor(FirewallOptions firewall, IReadOnlyList<string> connectorIds, string node, Func<string, Stream> openBody, int poisonAfter, TimeProvider clock)
    {
        _poisonAfter = poisonAfter;
        _firewall = firewall;
        _connectorIds = connectorIds;
        _node = node;
        _openBody = openBody;
        _clock = clock;
        _policy = HealthPolicy.From(firewall);
        _metrics = RouterTelemetry.Get(Context.System).Metrics.Firewall(firewall.Id);
        _health = FirewallHealth.Initial(clock.GetUtcNow());
        _latencies = new LatencyBook(firewall.Latency, LatencyPrior.Get(Context.System));
        _lastProbe = clock.GetUtcNow();
        ReceiveMembership();
        _messageRate = _limits.MessageRate is { } messages ? new TokenBucket(messages, clock) : null;
        _connectionRate = _limits.ConnectionRate is { } connections ? new TokenBucket(connections, clock) : null;

        Receive<SubscribeFirewall>(_ =>
        {
            // Bring the others up to date first, so the next tick does not send the new subscriber this status again.
            PublishStatusIfChanged();
            _subscribers.Add(Sender);
            Sender.Tell(_lastStatus!);
        });
        Receive<DeliverJob>(OnDeliver);
        Receive<DeliveryWorker.Finished>(OnFinished);
        Receive<Tick>(_ => OnTick());
        Receive<RateDue>(_ => Dispatch());
        Receive<ProbeFinished>(OnProbeFinished);
        Receive<FirewallCommand>(OnCommand);
        Receive<GetFirewallSnapshot>(_ => Sender.Tell(Snapshot()));
        Receive<PeerFirewallTripped>(OnPeerTripped);
        Receive<Reconfigure>(OnReconfigure);
        Receive<Remove>(_ => OnRemove());
        Receive<UnsubscribeFirewall>(OnUnsubscribe);
        Receive<ReturnQueuedJobs>(r => ReturnQueuedOf(Sender, "configuration reloaded: routed again"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FirewallOptions firewall, IReadOnlyList<string> connectorIds, string node, Func<string, Stream> openBody, int poisonAfter, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new FirewallActor(firewall, connectorIds, node, openBody, poisonAfter, clock ?? TimeProvider.System));

    protected override void PreStart()
    {
        StartWorkers(_limits.MaxConnections);
        SubscribeMembership();
        Timers.StartPeriodicTimer("tick", Tick.Instance, TickInterval);
        _metrics.State(_health.State);
        _log.Info("Firewall {Firewall} loaded: {Host}:{Port}, {MaxConnections} connections{Budget}, tls {Tls}, auth {Auth}, connectors {Connectors}",
            [_firewall.Id, _firewall.Host, _firewall.Port, _firewall.MaxConnections,
             _members is null ? string.Empty : $" (a cluster budget: {_limits.MaxConnections} on this node until it has joined, then its share)",
             _firewall.Tls.ToString().ToLowerInvariant(), _firewall.Auth?.User ?? "none", string.Join(",", _connectorIds)]);
    }

    // A worker that throws is restarted (its job is reported back from PreRestart); the firewall
    // and the node carry on.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(-1, TimeSpan.Zero, _ => Directive.Restart);

    private void OnDeliver(DeliverJob message)
    {
        if (_removed || !_health.AcceptsWork)
        {
            Sender.Tell(new JobsReturned(_firewall.Id, [message.Job], _removed ? RemovedReason : $"firewall {_health.State.ToString().ToLowerInvariant()}"));
            return;
        }
        _queue.AddLast((message.Job, Sender));
        Dispatch();
    }

    private void OnFinished(DeliveryWorker.Finished finished)
    {
        if (!_busy.Remove(Sender, out var work))
            return;
        _capabilities = finished.Capabilities ?? _capabilities;
        // What the session offered reaches the connectors before this attempt's outcome does: a job sent back for
        // an extension this firewall lacks is placed again with that known.
        PublishStatusIfChanged();
        ReleaseWorker(Sender);
        var result = finished.Result;
        if (result.Recipients.Any(r => r.Delivered))
            _delivered++;
        if (result.Outcome != AttemptOutcome.Completed || result.Recipients.Any(r => !r.Delivered))
            _failed++;

        var attempt = OutcomeClassifier.Classify(result);
        if (attempt == AttemptClass.Success)
            _lastSuccess = _clock.GetUtcNow();
        // A message already set aside as poisonous says nothing more about this firewall.
        if (attempt == AttemptClass.FirewallFailure && finished.Job.FirewallFaults >= _poisonAfter)
            attempt = AttemptClass.Neutral;
        // A hedge judged against the node's other firewalls (this one has no history of its own yet) says it is slower
        // than they are, not that it is broken: the job goes elsewhere and the probe decides, nothing is counted.
        var cold = result.Hedged && result.HedgedCold;
        if (cold)
            attempt = AttemptClass.Neutral;
        if (result.Hedged)
        {
            // Far outside the firewall's history before any data was sent: the job is placed elsewhere at once (by
            // its connector, as for any firewall fault), the firewall is suspect, and a probe with the fixed
            // timeouts asks at once whether it is dead or only slow (a probe that succeeds clears the suspicion).
            _hedged++;
            _metrics.Hedged();
            _log.Warning(cold
                    ? "Hedged {QueueId} away from firewall {Firewall}: {Outcome} {Detail} (far slower than this node's other firewalls; no history of its own yet); the job is placed elsewhere, the firewall is probed"
                    : "Hedged {QueueId} away from firewall {Firewall}: {Outcome} {Detail}; the job is placed elsewhere, the firewall is probed",
                finished.Job.QueueId, _firewall.Id, result.Outcome, result.Detail);
        }
        else if (result.Outcome == AttemptOutcome.AuthFailed)
            _log.Error("AUTH towards firewall {Firewall} failed (credentials {Credentials}) delivering {QueueId}: {Detail}; check its auth settings. Counted as a firewall failure: its mail goes elsewhere",
                _firewall.Id, _firewall.Auth?.ToString() ?? "none configured", finished.Job.QueueId, result.Detail);
        else if (attempt == AttemptClass.FirewallFailure)
            _log.Warning("Delivery of {QueueId} to {Firewall} failed: {Outcome} {Detail}", finished.Job.QueueId, _firewall.Id, result.Outcome, result.Detail);
        work.Connector.Tell(new DeliveryAttempted(_firewall.Id, finished.Job, result));
        Apply(_health.OnAttempt(attempt, finished.Job.QueueId, $"{result.Outcome}: {result.Detail}", _clock.GetUtcNow(), _policy));
        if (cold)
            Apply(_health.ProbeFirst($"far slower than this node's other firewalls ({result.Outcome}: {result.Detail}); probing before it gets more work",
                _clock.GetUtcNow()));
        if (result.Hedged && !_probing && _health.State is HealthState.Suspect or HealthState.Healthy or HealthState.Probing)
            StartProbe(_clock.GetUtcNow());
        Dispatch();
    }

    private void OnTick()
    {
        var now = _clock.GetUtcNow();
        Apply(_health.OnTick(now));
        var interval = _health.State == HealthState.Healthy ? _firewall.HealthyProbeInterval : _firewall.ProbeInterval;
        var due = _health.State == HealthState.Probing || now - _lastProbe >= interval;
        if (!_removed && !_probing && due && _health.State != HealthState.Drained && _health.State != HealthState.Tripped)
            StartProbe(now);
        PublishStatusIfChanged();
        Dispatch();
    }

    private void StartProbe(DateTimeOffset now)
    {
        _probing = true;
        _lastProbe = now;
        var firewall = _firewall;
        ProbeAsync(firewall, _latencies).PipeTo(Self);
    }

    private static async Task<ProbeFinished> ProbeAsync(FirewallOptions firewall, LatencyBook latencies)
    {
        // The probe waits the fixed timeouts: it asks whether the firewall is alive, not whether it is as fast as
        // usual, and what it measures is learnt too (a firewall that became slower is followed, not tripped).
        var connection = new FirewallConnection(firewall, latencies, judged: false);
        try
        {
            var (outcome, code, detail, _) = await connection.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            if (outcome is not null)
                return new ProbeFinished(false, $"{outcome} {(code > 0 ? code.ToString() : string.Empty)} {detail}".Trim());
            // A firewall that greets and then stalls at MAIL (issue 18) must not pass: one transaction, no recipient.
            if (await connection.ProbeTransactionAsync(CancellationToken.None).ConfigureAwait(false) is { } stalled)
                return new ProbeFinished(false, stalled, connection.Capabilities);
            // The session is opened exactly as for delivery: STARTTLS per the tls mode and AUTH when configured,
            // so a broken certificate or refused credentials keep the firewall out, not only a dead port.
            var steps = $"220, EHLO{(connection.IsSecure ? ", STARTTLS" : string.Empty)}{(connection.IsAuthenticated ? ", AUTH" : string.Empty)}, MAIL FROM:<>, RSET, QUIT";
            var capabilities = connection.Capabilities;
            await connection.CloseAsync().ConfigureAwait(false);
            return new ProbeFinished(true, steps, capabilities);
        }
        catch (Exception ex)
        {
            return new ProbeFinished(false, ex.Message);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnProbeFinished(ProbeFinished probe)
    {
        _probing = false;
        _lastProbe = _clock.GetUtcNow();
        _capabilities = probe.Capabilities ?? _capabilities;
        if (probe.Succeeded)
            _lastSuccess = _lastProbe;
        PublishStatusIfChanged();
        if (!probe.Succeeded)
            _log.Debug("Probe of {Firewall} failed: {Detail}", _firewall.Id, probe.Detail);
        Apply(_health.OnProbe(probe.Succeeded, probe.Detail, _lastProbe, _policy));
        Dispatch();
    }

    private void OnPeerTripped(PeerFirewallTripped tripped)
    {
        if (_removed || _health.State != HealthState.Healthy)
            return;
        var now = _clock.GetUtcNow();
        Apply(_health.OnPeerTrip($"tripped on {tripped.Node} ({tripped.Reason}); probing before trusting it", now));
        if (!_probing)
            StartProbe(now);
    }

    private void OnCommand(FirewallCommand command)
    {
        var now = _clock.GetUtcNow();
        var next = command.Action switch
        {
            FirewallAction.Trip => _health.TripNow("tripped by operator", now, _policy),
            FirewallAction.Reset => _health.Reset(now, "reset by operator"),
            FirewallAction.Drain => _health.Drain(now, "drained by operator"),
            _ => null,
        };
        if (next is null)
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"unknown firewall action '{command.Action}' (trip, reset, drain)")));
            return;
        }
        Apply(next);
        Dispatch();
        Sender.Tell(Snapshot());
    }

    private void Apply(FirewallHealth next)
    {
        var previous = _health;
        _health = next;
        if (previous.State == next.State)
            return;

        _metrics.State(next.State);
        if (next.State == HealthState.Tripped)
        {
            _metrics.Tripped();
            _lastTrip = next.Since;
        }
        var from = previous.State.ToString().ToLowerInvariant();
        var to = next.State.ToString().ToLowerInvariant();
        var connectors = string.Join(",", _connectorIds);
        if (next.State == HealthState.Tripped)
            _log.Warning("Firewall {Firewall} ({Connectors}) on {Node}: {From} -> {To}, open for {OpenFor}s: {Reason}",
                [_firewall.Id, connectors, _node, from, to, (next.OpenUntil - next.Since).TotalSeconds, next.Reason]);
        else
            _log.Info("Firewall {Firewall} ({Connectors}) on {Node}: {From} -> {To}: {Reason}", [_firewall.Id, connectors, _node, from, to, next.Reason]);
        Context.System.EventStream.Publish(new FirewallStateChanged(_firewall.Id, _node, _connectorIds, from, to, next.Reason, next.Since,
            next.State == HealthState.Tripped ? next.OpenUntil - next.Since : null));

        // The connectors hear that this firewall takes no work before they get its jobs back: a job
        // returned first would be sent straight back here, and returned again.
        PublishStatusIfChanged();
        if (!next.AcceptsWork)
            ReturnQueued($"firewall {to}");
        if (next.State == HealthState.Tripped && _busy.Count > 0)
        {
            _log.Info("Abandoning {Count} attempt(s) in flight to tripped firewall {Firewall}; they are placed elsewhere", _busy.Count, _firewall.Id);
            var abandoned = _inFlight;
            _inFlight = new CancellationTokenSource();
            // Not disposed: a Deliver already in a worker's mailbox may still link to its token.
            abandoned.Cancel();
        }
    }

    /// <summary>Jobs not yet started go back to their connectors, to be placed elsewhere at once.</summary>
    private void ReturnQueued(string reason, bool reroute = false)
    {
        foreach (var group in _queue.GroupBy(w => w.Connector))
            group.Key.Tell(new JobsReturned(_firewall.Id, group.Select(w => w.Job).ToArray(), reason) { Reroute = reroute });
        _queue.Clear();
    }

    private void Dispatch()
    {
        var capacity = _health.Capacity(_limits.MaxConnections, _clock.GetUtcNow(), _policy);
        while (_queue.Count > 0 && _idle.Count > 0 && _busy.Count < capacity)
        {
            if (_messageRate is { } rate && !rate.TryTake(out var wait))
            {
                Timers.StartSingleTimer("rate", RateDue.Instance, wait);
                return;
            }
            var work = _queue.First!.Value;
            _queue.RemoveFirst();
            var worker = _idle.Pop();
            _busy[worker] = work;
            worker.Tell(new DeliveryWorker.Deliver(work.Job, _inFlight.Token));
        }
    }

    private FirewallStatus CurrentStatus() => new(
        _firewall.Id,
        _health.State.ToString().ToLowerInvariant(),
        _health.AcceptsWork && !_removed,
        _health.Capacity(_limits.MaxConnections, _clock.GetUtcNow(), _policy))
    {
        Offers = _capabilities is { } offered ? ExtensionRequirements.Offered(offered, verifiedTls: _firewall.Tls == FirewallTls.Verify) : null,
        Weight = _firewall.Weight,
    };

    private void PublishStatusIfChanged()
    {
        var status = CurrentStatus();
        if (status == _lastStatus)
            return;
        _lastStatus = status;
        foreach (var subscriber in _subscribers)
            subscriber.Tell(status);
    }

    private FirewallSnapshot Snapshot() => new(
        _firewall.Id, _node, _health.State.ToString().ToLowerInvariant(), _health.Since, _health.ConsecutiveFailures,
        _health.Trips, _busy.Count, _queue.Count, _delivered, _failed, _health.Reason)
    {
        Capabilities = _capabilities?.Keywords,
        Latencies = FirewallLatencyView.From(_latencies, _firewall),
        Hedged = _hedged,
        LastSuccess = _lastSuccess,
        LastTrip = _lastTrip,
        Share = ShareView(),
    };
}
