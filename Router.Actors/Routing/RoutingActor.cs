using Akka.Actor;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// Places every part of every message on a connector: the best tier first, the least loaded of
/// two usable connectors within it, the next tier when a whole tier is down. Jobs with no usable
/// path anywhere are parked and placed the moment any connector becomes usable again.
/// </summary>
public sealed class RoutingActor : ReceiveActor, IWithTimers
{
    /// <summary>Registers the connector actors once they exist (they need the router's ref first).</summary>
    /// <param name="FirewallConnectors">For each firewall, the connectors that deliver through it.</param>
    public sealed record AttachConnectors(IReadOnlyDictionary<string, IActorRef> Connectors, IReadOnlyDictionary<string, IReadOnlyList<string>> FirewallConnectors);

    /// <summary>Where one job stands, for operators.</summary>
    private sealed record Placement(DeliveryJob Job, string State, string? Connector, DateTimeOffset? NextAttempt);

    private sealed record RetryDue(DeliveryJob Job);

    private sealed class ExpireParked
    {
        public static readonly ExpireParked Instance = new();
        private ExpireParked() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RouterTelemetry _telemetry = RouterTelemetry.Get(Context.System);
    private readonly AddressSpaceTable _table;
    private readonly IActorRef _bounces;
    private readonly RetryPolicy _retry;
    private readonly ConnectorChooser _chooser = new(new Random());
    private readonly Dictionary<string, IActorRef> _connectors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _backlog = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unusable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<RouteTier>> _plans = new(StringComparer.Ordinal);
    private readonly List<DeliveryJob> _parked = [];
    private readonly Dictionary<string, Placement> _placements = new(StringComparer.Ordinal);
    private readonly HashSet<string> _suspended = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _redirects = new(StringComparer.Ordinal);
    private readonly string? _stateFile;
    private IReadOnlyDictionary<string, IReadOnlyList<string>> _firewallConnectors = new Dictionary<string, IReadOnlyList<string>>();

    public RoutingActor(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry, string? stateFile)
    {
        _table = table;
        _bounces = bounces;
        _retry = retry;
        _stateFile = stateFile;
        var state = OperatorState.Load(stateFile);
        foreach (var id in state.SuspendedConnectors)
            _suspended.Add(id);
        foreach (var (firewall, connector) in state.Redirects)
            _redirects[firewall] = connector;

        Receive<AttachConnectors>(m =>
        {
            foreach (var (id, actor) in m.Connectors)
            {
                _connectors[id] = actor;
                _backlog.TryAdd(id, 0);
            }
            _firewallConnectors = m.FirewallConnectors;
            if (_suspended.Count > 0)
                _log.Warning("Connectors suspended by an operator (kept across restarts): {Connectors}", string.Join(",", _suspended));
        });
        Receive<MessageSpooled>(OnSpooled);
        Receive<JobReleased>(OnReleased);
        Receive<JobsRerouted>(OnRerouted);
        Receive<ConnectorStatus>(OnConnectorStatus);
        Receive<RetryDue>(m => Place(m.Job));
        Receive<ExpireParked>(_ => OnExpireParked());
        Receive<ListQueue>(OnList);
        Receive<RetryQueue>(OnRetryNow);
        Receive<SuspendConnector>(OnSuspend);
        Receive<ResumeConnector>(OnResume);
        Receive<RedirectFirewall>(OnRedirect);
        Receive<DeleteMessage>(OnDelete);
        Receive<CancelRedirect>(OnCancelRedirect);
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("expire-parked", ExpireParked.Instance, TimeSpan.FromSeconds(30));

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry, string? stateFile = null) =>
        Akka.Actor.Props.Create(() => new RoutingActor(table, bounces, retry, stateFile));

    private static string Key(DeliveryJob job) => $"{job.QueueId}:{string.Join(',', job.RecipientIndexes)}";

    private void OnSpooled(MessageSpooled message)
    {
        var jobs = MessageSplitter.Split(message, _table, out var unroutable);
        if (unroutable.Count > 0)
        {
            // Accepted when a route existed; the address spaces changed since. Fail them rather
            // than keep them forever (the DSN comes with the delivery-semantics work).
            _log.Warning("{QueueId}: {Count} recipient(s) no longer have a route; returning them to the sender", message.QueueId, unroutable.Count);
            _bounces.Tell(new RecipientsFailed(message.QueueId,
                unroutable.Select(i => new FailedRecipient(i, "5.4.4", "no route to the recipient's domain (the address spaces changed)", null)).ToArray()));
        }
        var wait = message.NextAttempt is { } next ? next - DateTimeOffset.UtcNow : TimeSpan.Zero;
        foreach (var (job, plan) in jobs)
        {
            _plans[job.RouteKey] = plan.Tiers;
            if (wait > TimeSpan.Zero)
            {
                // Recovered mail that was waiting for its retry keeps waiting: a restart is no reason to retry everything at once.
                _placements[Key(job)] = new Placement(job, "deferred", null, message.NextAttempt);
                Timers.StartSingleTimer(Key(job), new RetryDue(job), wait);
            }
            else
                Place(job);
        }
    }

    private void Place(DeliveryJob job)
    {
        if (_deleted.Contains(job.QueueId))
            return;
        if (!_plans.TryGetValue(job.RouteKey, out var tiers))
        {
            tiers = _table.Resolve(AddressSpaceTable.DomainOf(job.Recipients[0]));
            _plans[job.RouteKey] = tiers;
        }
        bool Usable(string id) => _connectors.ContainsKey(id) && !_unusable.Contains(id) && !_suspended.Contains(id);
        var connector = _chooser.Choose(tiers, Usable, id => _backlog[id], job.AvoidConnector);
        if (connector is null)
        {
            _placements[Key(job)] = new Placement(job, "parked", null, null);
            Track(TrackingEventKind.Parked, job, reply: "no usable connector: waiting for a path to recover");
            _parked.Add(job);
            if (_parked.Count == 1 || _parked.Count % 1000 == 0)
                _log.Warning("No usable connector for {QueueId} (route {Route}); {Parked} job(s) waiting for a path to recover",
                    job.QueueId, job.RouteKey, _parked.Count);
            return;
        }
        PlaceOn(RedirectedTarget(connector) ?? connector, job);
    }

    /// <summary>The connector an operator redirected this one's firewalls to, if any is in force and usable.</summary>
    private string? RedirectedTarget(string connector)
    {
        foreach (var (firewall, target) in _redirects)
        {
            if (target != connector && _firewallConnectors.TryGetValue(firewall, out var sources) && sources.Contains(connector)
                && _connectors.ContainsKey(target) && !_unusable.Contains(target) && !_suspended.Contains(target))
                return target;
        }
        return null;
    }

    private void PlaceOn(string connector, DeliveryJob job)
    {
        _placements[Key(job)] = new Placement(job, "queued", connector, null);
        Track(TrackingEventKind.Routed, job, connector, TierOf(job, connector));
        _backlog[connector]++;
        _connectors[connector].Tell(new EnqueueJob(job));
    }

    private void OnReleased(JobReleased released)
    {
        _backlog[released.ConnectorId]--;
        _placements.Remove(Key(released.Job));
        if (released.Retry is not { } retry || _deleted.Contains(retry.QueueId))
            return;
        if (released.RetryAfter <= TimeSpan.Zero)
            Place(retry);
        else
        {
            _placements[Key(retry)] = new Placement(retry, "deferred", null, DateTimeOffset.UtcNow + released.RetryAfter);
            Timers.StartSingleTimer(Key(retry), new RetryDue(retry), released.RetryAfter);
        }
    }

    private void OnRerouted(JobsRerouted rerouted)
    {
        _backlog[rerouted.ConnectorId] -= rerouted.Jobs.Count;
        // A hand-back the operator asked for says nothing about the connector's health.
        if (!rerouted.Reason.StartsWith("operator", StringComparison.Ordinal))
            _unusable.Add(rerouted.ConnectorId);
        if (rerouted.Jobs.Count > 0)
            _telemetry.Metrics.Rerouted(rerouted.ConnectorId, rerouted.Jobs.Count);
        foreach (var job in rerouted.Jobs)
            Track(TrackingEventKind.Rerouted, job, rerouted.ConnectorId, reply: rerouted.Reason);
        if (rerouted.Jobs.Count > 0)
            _log.Info("Rerouting {Count} job(s) from connector {Connector}: {Reason}", rerouted.Jobs.Count, rerouted.ConnectorId, rerouted.Reason);
        foreach (var job in rerouted.Jobs)
        {
            _placements.Remove(Key(job));
            if (rerouted.RedirectTo is { } target && _connectors.ContainsKey(target) && !_deleted.Contains(job.QueueId))
                PlaceOn(target, job);
            else
                Place(job);
        }
    }

    /// <summary>Mail that waited for a path until its expiry goes back to its sender (4.4.7).</summary>
    private void OnExpireParked()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = _parked.Where(j => _retry.Expired(j.ReceivedAt, now)).ToArray();
        if (expired.Length == 0)
            return;
        _parked.RemoveAll(j => _retry.Expired(j.ReceivedAt, now));
        foreach (var job in expired)
            _placements.Remove(Key(job));
        foreach (var job in expired)
            _bounces.Tell(new RecipientsFailed(job.QueueId,
                job.RecipientIndexes.Select(i => new FailedRecipient(i, "4.4.7", "delivery time expired: no path to any firewall was up", null)).ToArray()));
    }

    private void OnConnectorStatus(ConnectorStatus status)
    {
        if (!status.Usable)
        {
            _unusable.Add(status.ConnectorId);
            return;
        }
        if (!_unusable.Remove(status.ConnectorId) || _parked.Count == 0)
            return;
        _log.Info("Connector {Connector} is usable again; placing {Count} waiting job(s)", status.ConnectorId, _parked.Count);
        PlaceParked();
    }

    private int PlaceParked(string? queueId = null)
    {
        var waiting = _parked.Where(j => queueId is null || j.QueueId == queueId).ToArray();
        _parked.RemoveAll(j => queueId is null || j.QueueId == queueId);
        foreach (var job in waiting)
            Place(job);
        return waiting.Length;
    }

    private void OnList(ListQueue query)
    {
        var viaFirewall = query.Firewall is { } fw && _firewallConnectors.TryGetValue(fw, out var ids) ? ids : null;
        var entries = _placements.Values
            .Where(p => query.Connector is null || p.Connector == query.Connector)
            .Where(p => query.Firewall is null || (viaFirewall is not null && p.Connector is not null && viaFirewall.Contains(p.Connector)))
            .Where(p => query.State is null || string.Equals(p.State, query.State, StringComparison.OrdinalIgnoreCase))
            .Where(p => query.Sender is null || string.Equals(p.Job.Sender, query.Sender, StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p.Job.QueueId, StringComparer.Ordinal)
            .Select(p => new QueueEntry(p.Job.QueueId, p.Job.Sender, p.Job.Recipients, p.State, p.Connector, p.NextAttempt, p.Job.Attempts))
            .ToArray();
        Sender.Tell(new QueueListing(entries));
    }

    private void OnRetryNow(RetryQueue retry)
    {
        var deferred = _placements.Values.Where(p => p.State == "deferred" && (retry.QueueId is null || p.Job.QueueId == retry.QueueId)).ToArray();
        foreach (var placement in deferred)
        {
            Timers.Cancel(Key(placement.Job));
            Place(placement.Job);
        }
        var parked = PlaceParked(retry.QueueId);
        _log.Info("Operator: retry now{Which}: {Count} part(s)", retry.QueueId is null ? string.Empty : $" for {retry.QueueId}", deferred.Length + parked);
        Sender.Tell(new QueueCommandDone("retry", deferred.Length + parked));
    }

    private void OnSuspend(SuspendConnector suspend)
    {
        if (!_connectors.TryGetValue(suspend.ConnectorId, out var connector))
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"unknown connector '{suspend.ConnectorId}'")));
            return;
        }
        var affected = _backlog[suspend.ConnectorId];
        if (_suspended.Add(suspend.ConnectorId))
        {
            SaveState();
            _log.Warning("Operator: connector {Connector} suspended; its backlog is placed elsewhere", suspend.ConnectorId);
            connector.Tell(new HandBackJobs("operator: connector suspended"));
        }
        Sender.Tell(new QueueCommandDone("suspend", affected));
    }

    private void OnResume(ResumeConnector resume)
    {
        if (!_connectors.ContainsKey(resume.ConnectorId))
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"unknown connector '{resume.ConnectorId}'")));
            return;
        }
        var placed = 0;
        if (_suspended.Remove(resume.ConnectorId))
        {
            SaveState();
            _log.Info("Operator: connector {Connector} resumed", resume.ConnectorId);
            placed = PlaceParked();
        }
        Sender.Tell(new QueueCommandDone("resume", placed));
    }

    private void OnRedirect(RedirectFirewall redirect)
    {
        if (!_connectors.ContainsKey(redirect.ConnectorId) || !_firewallConnectors.TryGetValue(redirect.FirewallId, out var sources))
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"unknown firewall '{redirect.FirewallId}' or connector '{redirect.ConnectorId}'")));
            return;
        }
        var affected = 0;
        var from = sources.Where(s => s != redirect.ConnectorId).ToHashSet(StringComparer.Ordinal);
        foreach (var source in from)
        {
            affected += _backlog[source];
            _connectors[source].Tell(new HandBackJobs($"operator: redirected to {redirect.ConnectorId}", redirect.ConnectorId));
        }
        // Mail waiting for its retry or for a path, whose route runs through that firewall, goes now.
        bool ThroughFirewall(DeliveryJob job) =>
            _plans.TryGetValue(job.RouteKey, out var tiers) && tiers.Any(t => t.ConnectorIds.Any(from.Contains));
        var waiting = _placements.Values.Where(p => p.State is "deferred" or "parked" && ThroughFirewall(p.Job)).ToArray();
        foreach (var placement in waiting)
        {
            if (placement.State == "deferred")
                Timers.Cancel(Key(placement.Job));
            else
                _parked.Remove(placement.Job);
            PlaceOn(redirect.ConnectorId, placement.Job);
        }
        affected += waiting.Length;
        _redirects[redirect.FirewallId] = redirect.ConnectorId;
        SaveState();
        _log.Warning("Operator: mail for firewall {Firewall} redirected to connector {Connector} until cancelled", redirect.FirewallId, redirect.ConnectorId);
        Sender.Tell(new QueueCommandDone("redirect", affected));
    }

    private void OnDelete(DeleteMessage delete)
    {
        _deleted.Add(delete.QueueId);
        var waiting = _placements.Values.Where(p => p.Job.QueueId == delete.QueueId).ToArray();
        foreach (var placement in waiting.Where(p => p.State == "deferred"))
            Timers.Cancel(Key(placement.Job));
        foreach (var placement in waiting)
            _placements.Remove(Key(placement.Job));
        _parked.RemoveAll(j => j.QueueId == delete.QueueId);
        foreach (var connector in _connectors.Values)
            connector.Tell(new HandBackJobs("operator: message deleted", OnlyQueueId: delete.QueueId));
        _bounces.Tell(new RecipientsFailed(delete.QueueId, []) { Bounce = delete.Bounce, AllPending = new FailedRecipient(0, "5.0.0", "deleted by the operator", null) });
        _log.Warning("Operator: message {QueueId} deleted ({Bounce})", delete.QueueId, delete.Bounce ? "sender notified" : "no bounce");
        if (_telemetry.Tracking.Enabled)
            _telemetry.Tracking.Write(new TrackingEvent
            {
                Time = DateTimeOffset.UtcNow,
                Event = TrackingEventKind.Deleted,
                QueueId = delete.QueueId,
                Reply = delete.Bounce ? "deleted by the operator; the sender is notified" : "deleted by the operator without a bounce",
            });
        Sender.Tell(new QueueCommandDone("delete", waiting.Length));
    }

    private void OnCancelRedirect(CancelRedirect cancel)
    {
        var removed = _redirects.Remove(cancel.FirewallId);
        if (removed)
        {
            SaveState();
            _log.Info("Operator: redirect of firewall {Firewall} cancelled", cancel.FirewallId);
        }
        Sender.Tell(new QueueCommandDone("cancel-redirect", removed ? 1 : 0));
    }

    /// <summary>One line of the tracking log about one part.</summary>
    private void Track(string kind, DeliveryJob job, string? connector = null, string? tier = null, string? reply = null)
    {
        if (!_telemetry.Tracking.Enabled)
            return;
        _telemetry.Tracking.Write(new TrackingEvent
        {
            Time = DateTimeOffset.UtcNow,
            Event = kind,
            QueueId = job.QueueId,
            Recipients = job.Recipients,
            Connector = connector,
            Tier = tier,
            Reply = reply,
        });
    }

    /// <summary>The tier of the part's route that holds the connector, as "pattern;cost" (null after an operator redirect outside it).</summary>
    private string? TierOf(DeliveryJob job, string connector)
    {
        if (!_telemetry.Tracking.Enabled || !_plans.TryGetValue(job.RouteKey, out var tiers))
            return null;
        foreach (var tier in tiers)
        {
            if (tier.ConnectorIds.Contains(connector))
                return $"{tier.Pattern};{tier.Cost}";
        }
        return null;
    }

    private void SaveState()
    {
        try
        {
            OperatorState.Save(_stateFile, new OperatorState(_suspended.Order(StringComparer.Ordinal).ToArray())
            {
                Redirects = new Dictionary<string, string>(_redirects),
            });
        }
        catch (IOException ex)
        {
            _log.Error(ex, "Could not save the operator state to {File}; it will not survive a restart", _stateFile);
        }
    }
}
