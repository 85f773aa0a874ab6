using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Peers;
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

    /// <summary>
    /// Clustered: lets the router hand mail to peers (spill-over) through <paramref name="Handovers"/>
    /// (a <see cref="HandoverSender"/>), choosing them from <paramref name="HealthView"/>'s cluster view.
    /// </summary>
    public sealed record AttachSpillOver(IActorRef HealthView, IActorRef Handovers, SpillOverSettings Settings, string SelfAddress)
        : INoSerializationVerificationNeeded;

    /// <summary>This node is leaving: place nothing locally any more, hand every part to peers.</summary>
    public sealed class StartDrain : INoSerializationVerificationNeeded
    {
        public static readonly StartDrain Instance = new();
        private StartDrain() { }
    }

    private sealed class PollClusterView : INoSerializationVerificationNeeded
    {
        public static readonly PollClusterView Instance = new();
        private PollClusterView() { }
    }

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
    // Spill-over (clustered only): null until attached.
    private AttachSpillOver? _spill;
    private SpillOverPlanner? _planner;
    private bool _draining;

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
        Receive<AttachSpillOver>(OnAttachSpillOver);
        Receive<PollClusterView>(_ => _spill?.HealthView.Tell(GetClusterHealthView.Instance));
        Receive<ClusterHealthView>(OnClusterView);
        Receive<HandoverSender.Completed>(OnHandedOver);
        Receive<HandoverSender.Failed>(OnHandoverFailed);
        Receive<HandoverSender.Gone>(g => _placements.Remove(Key(g.Job)));
        Receive<StartDrain>(_ => OnStartDrain());
        Receive<ExplainRoute>(m => Sender.Tell(RouteExplainer.Explain(m.Address, _table, StateOf, Decide, ExplainSpill)));
        Receive<GetConnectorStates>(_ => Sender.Tell(new ConnectorStates(
            _connectors.Keys.Order(StringComparer.Ordinal).Select(StateOf).ToArray(),
            new Dictionary<string, string>(_redirects, StringComparer.Ordinal),
            _parked.Count)));
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
            if (wait > TimeSpan.Zero && !_draining)
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
        var (picked, target) = Decide(tiers, job.AvoidConnector);
        if (SpillFor(job.Handovers, tiers, picked, DateTimeOffset.UtcNow) is { } spill)
        {
            HandOver(job, spill.Peer, spill.Reason);
            return;
        }
        if (_draining)
        {
            // Leaving with no peer to take it now: try again shortly; the drain timeout bounds the wait.
            _placements[Key(job)] = new Placement(job, "deferred", null, DateTimeOffset.UtcNow + DrainRetry);
            Timers.StartSingleTimer(Key(job), new RetryDue(job), DrainRetry);
            return;
        }
        if (target is null)
        {
            _placements[Key(job)] = new Placement(job, "parked", null, null);
            Track(TrackingEventKind.Parked, job, reply: "no usable connector: waiting for a path to recover");
            _parked.Add(job);
            if (_parked.Count == 1 || _parked.Count % 1000 == 0)
            {
                _log.Warning("No usable connector for {QueueId} (route {Route}); {Parked} job(s) waiting for a path to recover",
                    job.QueueId, job.RouteKey, _parked.Count);
                Publish("parked", job.RouteKey, _parked.Count, $"no usable connector for {job.QueueId}; waiting for a path to recover");
            }
            return;
        }
        PlaceOn(target, job);
    }

    private bool IsUsable(string id) => _connectors.ContainsKey(id) && !_unusable.Contains(id) && !_suspended.Contains(id);

    /// <summary>The connector the tiers pick now, and where the job goes after operator redirects (null, null: park it).</summary>
    private (string? Picked, string? Target) Decide(IReadOnlyList<RouteTier> tiers, string? avoid = null)
    {
        var connector = _chooser.Choose(tiers, IsUsable, id => _backlog[id], avoid);
        return (connector, connector is null ? null : RedirectedTarget(connector) ?? connector);
    }

    private ConnectorState StateOf(string id)
    {
        var state = !_connectors.ContainsKey(id) ? "detached"
            : _suspended.Contains(id) ? "suspended"
            : _unusable.Contains(id) ? "down"
            : "usable";
        var firewalls = _firewallConnectors.Where(f => f.Value.Contains(id)).Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();
        return new ConnectorState(id, state, _backlog.GetValueOrDefault(id), firewalls, _connectors.ContainsKey(id) ? RedirectedTarget(id) : null);
    }

    private void Publish(string kind, string subject, int count, string detail) =>
        Context.System.EventStream.Publish(new RoutingEvent(kind, subject, count, detail, DateTimeOffset.UtcNow));

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
        {
            _log.Info("Rerouting {Count} job(s) from connector {Connector}: {Reason}", rerouted.Jobs.Count, rerouted.ConnectorId, rerouted.Reason);
            Publish("rerouted", rerouted.ConnectorId, rerouted.Jobs.Count, rerouted.Reason);
        }
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
            if (_unusable.Add(status.ConnectorId))
                Publish("connector-down", status.ConnectorId, _backlog.GetValueOrDefault(status.ConnectorId), "no firewall of the connector takes work");
            return;
        }
        if (!_unusable.Remove(status.ConnectorId))
            return;
        Publish("connector-usable", status.ConnectorId, _parked.Count, "a firewall of the connector takes work again");
        if (_parked.Count == 0)
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
        Publish("operator", retry.QueueId ?? "queue", deferred.Length + parked, "retry now");
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
            Publish("operator", suspend.ConnectorId, affected, "connector suspended");
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
            Publish("operator", resume.ConnectorId, placed, "connector resumed");
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
        Publish("operator", redirect.FirewallId, affected, $"redirected to connector {redirect.ConnectorId}");
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
        Publish("operator", delete.QueueId, waiting.Length, delete.Bounce ? "deleted, sender notified" : "deleted, no bounce");
        Sender.Tell(new QueueCommandDone("delete", waiting.Length));
    }

    private void OnCancelRedirect(CancelRedirect cancel)
    {
        var removed = _redirects.Remove(cancel.FirewallId);
        if (removed)
        {
            SaveState();
            _log.Info("Operator: redirect of firewall {Firewall} cancelled", cancel.FirewallId);
            Publish("operator", cancel.FirewallId, 1, "redirect cancelled");
        }
        Sender.Tell(new QueueCommandDone("cancel-redirect", removed ? 1 : 0));
    }

    // ---- Spill-over and drain (cluster) ----

    /// <summary>While leaving with no peer to take a part, how long before it is tried again.</summary>
    private static readonly TimeSpan DrainRetry = TimeSpan.FromSeconds(2);

    private void OnAttachSpillOver(AttachSpillOver attach)
    {
        _spill = attach;
        var firewallsOf = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var connector in _connectors.Keys)
            firewallsOf[connector] = _firewallConnectors.Where(f => f.Value.Contains(connector)).Select(f => f.Key).ToArray();
        _planner = new SpillOverPlanner(firewallsOf, attach.SelfAddress);
        Timers.StartPeriodicTimer("cluster-view", PollClusterView.Instance, TimeSpan.FromSeconds(1));
        Self.Tell(PollClusterView.Instance);
    }

    private void OnClusterView(ClusterHealthView view)
    {
        // Mail waiting for a path may have one on a peer now.
        if (_planner is not null && _planner.Update(view) && _parked.Count > 0 && (_spill!.Settings.Enabled || _draining))
            PlaceParked();
    }

    /// <summary>
    /// The peer a part goes to instead of a local connector, and why; null to place it here. A peer is
    /// chosen when no connector of a tier better than the one picked here (or of any tier, when nothing
    /// here is usable) is usable on this node but a peer shows a healthy firewall in it; or when the
    /// picked tier's backlog here has reached the threshold (mail that came from a peer is not moved on
    /// for backlog). Leaving, every part goes to a peer: one with capacity in its tiers if any, else any.
    /// </summary>
    private (string Peer, string Reason)? SpillFor(int handovers, IReadOnlyList<RouteTier> tiers, string? picked, DateTimeOffset now)
    {
        if (_planner is null || _spill is null || tiers.Count == 0)
            return null;
        if (_draining)
        {
            foreach (var tier in tiers)
            {
                if (_planner.PeerFor(tier, now) is { } peer)
                    return (peer, $"this node is leaving; {peer} has a healthy firewall for {tier.Pattern};{tier.Cost}");
            }
            return _planner.AnyPeer(now) is { } any ? (any, "this node is leaving") : null;
        }
        var settings = _spill.Settings;
        if (!settings.Enabled || handovers >= settings.MaxHandovers)
            return null;
        var rank = picked is null ? tiers.Count : Math.Max(0, tiers.ToList().FindIndex(t => t.ConnectorIds.Contains(picked)));
        for (var i = 0; i < rank; i++)
        {
            if (_planner.PeerFor(tiers[i], now) is { } peer)
                return (peer, $"no usable connector of tier {i + 1} ({tiers[i].Pattern};{tiers[i].Cost}) on this node; {peer} has a healthy firewall in it");
        }
        if (picked is null || handovers > 0 || settings.BacklogThreshold == 0)
            return null;
        var best = tiers[rank];
        var backlog = best.ConnectorIds.Where(IsUsable).Sum(id => _backlog.GetValueOrDefault(id));
        if (backlog < settings.BacklogThreshold)
            return null;
        return _planner.PeerFor(best, now) is { } relief
            ? (relief, $"backlog of tier {rank + 1} here is {backlog} (threshold {settings.BacklogThreshold}); {relief} has a healthy firewall in it")
            : null;
    }

    private string? ExplainSpill(IReadOnlyList<RouteTier> tiers, string? picked) =>
        SpillFor(0, tiers, picked, DateTimeOffset.UtcNow) is { } spill ? $"hand over to {spill.Peer}: {spill.Reason}" : null;

    private void HandOver(DeliveryJob job, string peer, string reason)
    {
        _placements[Key(job)] = new Placement(job, "handing-over", null, null);
        _spill!.Handovers.Tell(new HandoverSender.HandOver(job, peer, reason));
    }

    private void OnHandedOver(HandoverSender.Completed done)
    {
        _placements.Remove(Key(done.Job));
        _log.Info("Handed {QueueId} ({Count} recipient(s)) to {Peer}, where it is {RemoteQueueId}: {Reason}",
            done.Job.QueueId, done.Job.Recipients.Count, done.Peer, done.RemoteQueueId, done.Reason);
        Track(TrackingEventKind.HandedOver, done.Job, reply: $"handed over to {done.Peer} as {done.RemoteQueueId}: {done.Reason}");
        Publish("handed-over", done.Peer, done.Job.Recipients.Count, $"{done.Job.QueueId} is {done.RemoteQueueId} there: {done.Reason}");
    }

    private void OnHandoverFailed(HandoverSender.Failed failed)
    {
        _placements.Remove(Key(failed.Job));
        _log.Warning("Could not hand {QueueId} to {Peer}: {Error}; it stays here (that node gets no handovers for {Avoid})",
            failed.Job.QueueId, failed.Peer, failed.Error, SpillOverPlanner.AvoidFor);
        _planner?.Avoid(failed.Peer, DateTimeOffset.UtcNow + SpillOverPlanner.AvoidFor);
        Place(failed.Job);
    }

    private void OnStartDrain()
    {
        if (_draining)
            return;
        _draining = true;
        var deferred = _placements.Values.Where(p => p.State == "deferred").ToArray();
        _log.Warning("Leaving: no mail is delivered here any more; {Count} waiting part(s) and every connector's backlog go to the other nodes",
            deferred.Length + _parked.Count);
        Publish("leaving", "node", deferred.Length + _parked.Count, "handing the queue to the other nodes");
        foreach (var placement in deferred)
        {
            Timers.Cancel(Key(placement.Job));
            Place(placement.Job);
        }
        PlaceParked();
        foreach (var connector in _connectors.Values)
            connector.Tell(new HandBackJobs("operator: node leaving"));
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
