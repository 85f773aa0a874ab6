using Router.Actors.Cluster;
using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Actors.Observability.Tracking;
using Router.Actors.Cluster.Peers;
using Router.Actors.Spool;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// Places every part of every message on a connector: the best tier first, the least loaded of
/// two usable connectors within it, the next tier when a whole tier is down. Owns the parts that
/// wait (deferred until their retry time, or parked when no path is up) and their timers; the
/// connectors own the parts placed on them and report their load. The decisions are pure code:
/// <see cref="ConnectorChooser"/>, <see cref="SpillOverDecision"/>, <see cref="RetrySchedule"/>,
/// <see cref="OperatorOverrides"/>, kept in <see cref="Placements"/> and <see cref="ConnectorLoads"/>.
/// </summary>
/// <remarks>
/// About 470 lines (a reload's side is in RoutingReload.cs): the mail path, the waiting parts' timers and the operator commands all act on
/// the one placement table this actor owns, so they stay together; what each decides is in the
/// pure types above, and what it records in <see cref="PlacementLog"/>.
/// </remarks>
public sealed partial class RoutingActor : ReceiveActor, IWithTimers
{
    private sealed class PollClusterView : INoSerializationVerificationNeeded
    {
        public static readonly PollClusterView Instance = new();
        private PollClusterView() { }
    }

    private sealed record RetryDue(DeliveryJob Job);

    private sealed class ExpireParked
    {
        public static readonly ExpireParked Instance = new();
        private ExpireParked() { }
    }

    /// <summary>While leaving with no peer to take a part, how long before it is tried again.</summary>
    private static readonly TimeSpan DrainRetry = TimeSpan.FromSeconds(2);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PlacementLog _record;
    private readonly MessageTracing _tracing = RouterTelemetry.Get(Context.System).Tracing;
    private AddressSpaceTable _table;
    private readonly IActorRef _bounces;
    private RetryPolicy _retry;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, IActorRef> _connectors = new(StringComparer.Ordinal);
    private readonly PathSelector _paths;
    private readonly Placements _placements = new();
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private readonly string? _stateFile;
    // Spill-over (clustered only): null until attached.
    private AttachSpillOver? _spill;

    /// <param name="spool">Where a deferred part's retry position is journaled; null in protocol tests that keep no spool.</param>
    public RoutingActor(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry, string? stateFile, MessageSpool? spool, TimeProvider clock)
    {
        _table = table;
        _bounces = bounces;
        _retry = retry;
        _stateFile = stateFile;
        _clock = clock;
        _record = new PlacementLog(Context.System.EventStream, RouterTelemetry.Get(Context.System), _log, spool, clock);
        _paths = new PathSelector(table, new ConnectorChooser(new Random()),
            new OperatorOverrides(OperatorState.Load(stateFile), new Dictionary<string, IReadOnlyList<string>>()));

        Receive<AttachConnectors>(m =>
        {
            foreach (var (id, actor) in m.Connectors)
                _connectors[id] = actor;
            _paths.Attach(m.Connectors.Keys, m.FirewallConnectors);
            if (_paths.Operator.Suspended.Count > 0)
                _log.Warning("Connectors suspended by an operator (kept across restarts): {Connectors}", string.Join(",", _paths.Operator.Suspended));
        });
        Receive<MessageSpooled>(OnSpooled);
        Receive<JobReleased>(OnReleased);
        Receive<ConnectorStatus>(OnConnectorStatus);
        Receive<JobsHandedBack>(OnHandedBack);
        Receive<RetryDue>(m =>
        {
            _placements.Remove(m.Job);
            Place(m.Job);
        });
        Receive<ExpireParked>(_ => OnExpireParked());
        Receive<AttachSpillOver>(OnAttachSpillOver);
        Receive<PollClusterView>(_ => _spill?.HealthView.Tell(GetClusterHealthView.Instance));
        Receive<ClusterHealthView>(OnClusterView);
        Receive<HandoverSender.Completed>(OnHandedOver);
        Receive<HandoverSender.Failed>(OnHandoverFailed);
        Receive<HandoverSender.Gone>(g => _placements.Remove(g.Job));
        Receive<StartDrain>(_ => OnStartDrain());
        Receive<ReloadRoutes>(OnReloadRoutes);
        ReceiveOperatorCommands();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry, string? stateFile = null, MessageSpool? spool = null,
        TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new RoutingActor(table, bounces, retry, stateFile, spool, clock ?? TimeProvider.System));

    protected override void PreStart() => Timers.StartPeriodicTimer("expire-parked", ExpireParked.Instance, TimeSpan.FromSeconds(30));

    private void OnSpooled(MessageSpooled message)
    {
        var jobs = MessageSplitter.Split(message, _table, out var unroutable, out var refused);
        if (unroutable.Count > 0)
        {
            // Accepted when a route existed; the address spaces changed since. Fail them rather than keep them forever.
            _log.Warning("{QueueId}: {Count} recipient(s) no longer have a route; returning them to the sender", message.QueueId, unroutable.Count);
        }
        if (refused.Count > 0)
        {
            // Every connector for these recipients refuses the message (connector max-message-size, senders).
            _log.Warning("{QueueId}: no connector takes {Count} recipient(s) ({Status}: {Reason}); returning them to the sender",
                message.QueueId, refused.Count, refused[0].Status, refused[0].Diagnostic);
        }
        if (unroutable.Count + refused.Count > 0)
        {
            _bounces.Tell(new RecipientsFailed(message.QueueId,
                [.. unroutable.Select(i => new FailedRecipient(i, "5.4.4", "no route to the recipient's domain (the address spaces changed)", null)), .. refused]));
        }
        var now = _clock.GetUtcNow();
        foreach (var (job, plan) in jobs)
        {
            _paths.Remember(job.RouteKey, plan.Tiers);
            // Recovered mail that was waiting for its retry keeps waiting: a restart is no reason to retry everything at once.
            if (message.NextAttempt is { } due && due > now && !_paths.Leaving)
                Wait(job, due);
            else
                Place(job);
        }
    }

    private void Place(DeliveryJob job)
    {
        if (_deleted.Contains(job.QueueId) || HoldsInstead(job, null))
            return;
        // After a reload a part split under the old address spaces may route differently now, in pieces.
        if (_reloaded && Resplit(job) is { } parts)
        {
            foreach (var part in parts)
                PlaceResolved(part);
            return;
        }
        PlaceResolved(job);
    }

    private void PlaceResolved(DeliveryJob job)
    {
        var choice = _paths.Choose(job, _clock.GetUtcNow());
        if (choice.Failure is { } failure)
        {
            // No firewall of any allowed tier offers what the message needs (SMTPUTF8, 8BITMIME, REQUIRETLS): never downgraded.
            _log.Warning("{QueueId}: {Count} recipient(s) fail: {Diagnostic}", job.QueueId, job.RecipientIndexes.Count, failure.Diagnostic);
            _bounces.Tell(new RecipientsFailed(job.QueueId,
                job.RecipientIndexes.Select(i => new FailedRecipient(i, failure.Status, failure.Diagnostic, null)).ToArray()));
            return;
        }
        _tracing.Routed(job, choice, _paths);
        if (choice.Handover is { } spill)
        {
            _placements.HandingOver(job);
            _spill!.Handovers.Tell(new HandoverSender.HandOver(job, spill.Peer, spill.Reason));
            return;
        }
        if (_paths.Leaving)
        {
            // Leaving with no peer to take it now: try again shortly; the drain timeout bounds the wait.
            Wait(job, _clock.GetUtcNow() + DrainRetry);
            return;
        }
        if (choice.Connector is not { } target)
        {
            _placements.Parked(job);
            _record.Track(TrackingEventKind.Parked, job, reply: "no usable connector: waiting for a path to recover");
            var parked = _placements.ParkedCount;
            if (parked == 1 || parked % 1000 == 0)
            {
                _log.Warning("No usable connector for {QueueId} (route {Route}); {Parked} job(s) waiting for a path to recover", job.QueueId, job.RouteKey, parked);
                _record.Publish("parked", job.RouteKey, parked, $"no usable connector for {job.QueueId}; waiting for a path to recover");
            }
            return;
        }
        PlaceOn(target, job);
    }

    private void PlaceOn(string connector, DeliveryJob job)
    {
        if (HoldsInstead(job, connector))
            return;
        // The connector's TLS demand travels with the part to the firewall session that carries it.
        if (job.Tls != _table.PolicyOf(connector).Tls)
            job = job with { Tls = _table.PolicyOf(connector).Tls };
        _placements.Queued(job, connector);
        _record.Routed(job, connector, _paths);
        _paths.Loads.Sent(connector, _clock.GetUtcNow());
        _connectors[connector].Tell(new EnqueueJob(job));
    }

    /// <summary>A part waits until <paramref name="due"/>, then is placed again.</summary>
    private void Wait(DeliveryJob job, DateTimeOffset due)
    {
        _placements.Deferred(job, due);
        Timers.StartSingleTimer(Placements.KeyOf(job), new RetryDue(job), due - _clock.GetUtcNow());
    }

    private void OnReleased(JobReleased released)
    {
        _paths.Loads.Reported(released.ConnectorId, released.Load);
        if (released.Release == JobRelease.Finished)
            _paths.Loads.Finished(released.ConnectorId, _clock.GetUtcNow());
        _placements.Remove(released.Job);
        if (released.Next is not { } next || _deleted.Contains(next.QueueId))
            return;
        if (released.Release == JobRelease.PlaceElsewhere)
            Place(next);
        else if (released.Release == JobRelease.Deferred)
            Defer(released, next);
    }

    /// <summary>
    /// A deferred part waits for the retry time the schedule gives it, and its position is journaled;
    /// its sender hears of the delay once if it asked; at expiry its recipients go back to the sender (4.4.7).
    /// </summary>
    private void Defer(JobReleased released, DeliveryJob deferred)
    {
        var now = _clock.GetUtcNow();
        var decision = RetrySchedule.Decide(deferred, released.ConnectorId, released.FirewallId, released.Detail, _retry, now);
        if (decision.Expired is { } expired)
        {
            _log.Warning("{QueueId} expired after {Age} undelivered; giving up {Count} recipient(s)",
                deferred.QueueId, now - deferred.ReceivedAt, deferred.RecipientIndexes.Count);
            _bounces.Tell(expired);
            return;
        }
        if (decision.DelayNotice is { } notice)
            _bounces.Tell(notice);
        _record.Deferred(decision.Job, released.ConnectorId, released.FirewallId, released.Detail, decision.Due!.Value);
        Wait(decision.Job, decision.Due!.Value);
    }

    private void OnConnectorStatus(ConnectorStatus status)
    {
        _paths.Loads.Reported(status.ConnectorId, status.Load);
        _paths.Capabilities.Report(status.ConnectorId, status.Firewalls);
        if (!status.Usable)
        {
            if (_paths.MarkDown(status.ConnectorId))
                _record.Publish("connector-down", status.ConnectorId, _paths.Loads.Of(status.ConnectorId) + status.Returned.Count, "no firewall of the connector takes work");
            Reroute(status.ConnectorId, status.Returned, "no firewall of the connector takes work", null);
            return;
        }
        if (!_paths.MarkUsable(status.ConnectorId))
        {
            // Still usable, and what its firewalls offer changed: parts waiting for a firewall that offers what they need may have one.
            if (status.Firewalls.Count > 0 && _placements.ParkedCount > 0)
                PlaceParked();
            return;
        }
        _record.Publish("connector-usable", status.ConnectorId, _placements.ParkedCount, "a firewall of the connector takes work again");
        if (_placements.ParkedCount == 0)
            return;
        _log.Info("Connector {Connector} is usable again; placing {Count} waiting job(s)", status.ConnectorId, _placements.ParkedCount);
        PlaceParked();
    }

    private void OnHandedBack(JobsHandedBack handedBack)
    {
        _paths.Loads.Reported(handedBack.ConnectorId, handedBack.Load);
        if (handedBack.Reason == HandBackReason.ConnectorHeld)
        {
            KeepHeld(handedBack.ConnectorId, handedBack.Jobs);
            return;
        }
        Reroute(handedBack.ConnectorId, handedBack.Jobs, PlacementLog.Describe(handedBack.Reason, handedBack.RedirectTo), handedBack.RedirectTo);
    }

    /// <summary>Jobs a connector gave back are placed again at once: on the redirect target if an operator named one, else as usual.</summary>
    private void Reroute(string connector, IReadOnlyList<DeliveryJob> jobs, string reason, string? redirectTo)
    {
        if (jobs.Count == 0)
            return;
        _record.Rerouted(connector, jobs, reason);
        foreach (var job in jobs)
        {
            _placements.Remove(job);
            if (redirectTo is not null && _connectors.ContainsKey(redirectTo) && !_deleted.Contains(job.QueueId))
                PlaceOn(redirectTo, job);
            else
                Place(job);
        }
    }

    /// <summary>Mail that waited for a path until its expiry goes back to its sender (4.4.7).</summary>
    private void OnExpireParked()
    {
        var expired = RetrySchedule.ExpiredParked(_placements.ParkedJobs, _retry, _clock.GetUtcNow());
        if (expired.Count == 0)
            return;
        var jobs = expired.Select(e => e.Job).ToHashSet();
        _placements.TakeParked(jobs.Contains);
        foreach (var (_, failure) in expired)
            _bounces.Tell(failure);
    }

    private int PlaceParked(string? queueId = null)
    {
        var waiting = _placements.TakeParked(queueId);
        foreach (var job in waiting)
            Place(job);
        return waiting.Count;
    }

    /// <summary>Deferred parts (of one message or all) are placed now instead of at their retry time.</summary>
    private int PlaceDeferredNow(string? queueId = null)
    {
        var deferred = Take(p => p.State == PlacementState.Deferred && (queueId is null || p.Job.QueueId == queueId));
        foreach (var placement in deferred)
            Place(placement.Job);
        return deferred.Count;
    }

    /// <summary>Takes parts out of the table, and the retry timers of the deferred ones with them.</summary>
    private IReadOnlyList<Placement> Take(Func<Placement, bool> which)
    {
        var taken = _placements.Take(which);
        foreach (var placement in taken.Where(p => p.State == PlacementState.Deferred))
            Timers.Cancel(Placements.KeyOf(placement.Job));
        return taken;
    }

    /// <summary>False, and the sender told why, when no connector has this id.</summary>
    private bool Known(string connector)
    {
        if (_connectors.ContainsKey(connector))
            return true;
        Sender.Tell(new Status.Failure(new ArgumentException($"unknown connector '{connector}'")));
        return false;
    }

    // ---- Spill-over and drain (cluster) ----

    private void OnAttachSpillOver(AttachSpillOver attach)
    {
        _spill = attach;
        _paths.AttachSpillOver(attach.Settings, attach.SelfAddress);
        Timers.StartPeriodicTimer("cluster-view", PollClusterView.Instance, TimeSpan.FromSeconds(1));
        Self.Tell(PollClusterView.Instance);
    }

    private void OnClusterView(ClusterHealthView view)
    {
        // Mail waiting for a path may have one on a peer now.
        if (_paths.Update(view) && _placements.ParkedCount > 0 && _paths.SpillsOver)
            PlaceParked();
    }

    private void OnHandedOver(HandoverSender.Completed done)
    {
        _placements.Remove(done.Job);
        _record.HandedOver(done.Job, done.Peer, done.RemoteQueueId, done.Reason);
    }

    private void OnHandoverFailed(HandoverSender.Failed failed)
    {
        _placements.Remove(failed.Job);
        _log.Warning("Could not hand {QueueId} to {Peer}: {Error}; it stays here (that node gets no handovers for {Avoid})",
            failed.Job.QueueId, failed.Peer, failed.Error, SpillOverPlanner.AvoidFor);
        _paths.AvoidPeer(failed.Peer, _clock.GetUtcNow() + SpillOverPlanner.AvoidFor);
        Place(failed.Job);
    }

    private void OnStartDrain()
    {
        if (_paths.Leaving)
            return;
        _paths.Leaving = true;
        var waiting = _placements.InState(PlacementState.Deferred).Count + _placements.ParkedCount;
        _log.Warning("Leaving: no mail is delivered here any more; {Count} waiting part(s) and every connector's backlog go to the other nodes", waiting);
        _record.Publish("leaving", "node", waiting, "handing the queue to the other nodes");
        PlaceDeferredNow();
        PlaceParked();
        foreach (var connector in _connectors.Values)
            connector.Tell(new HandBackJobs(HandBackReason.NodeLeaving));
    }
}
