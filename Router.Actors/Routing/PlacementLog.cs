using Akka.Event;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// What the routing actor records about its placements, in one place: routing events for operators
/// (the event stream: tail, dashboard), tracking-log lines, metrics, and the retry position of
/// deferred parts in the spool. No decisions: the actor decides, this writes it down.
/// </summary>
public sealed class PlacementLog(EventStream events, RouterTelemetry telemetry, ILoggingAdapter log, MessageSpool? spool, TimeProvider clock)
{
    /// <summary>A routing event for operators (<c>rerouted</c>, <c>connector-down</c>, <c>parked</c>, <c>operator</c>, ...).</summary>
    public void Publish(string kind, string subject, int count, string detail) =>
        events.Publish(new RoutingEvent(kind, subject, count, detail, clock.GetUtcNow()));

    /// <summary>One line of the tracking log about one part.</summary>
    public void Track(string kind, DeliveryJob job, string? connector = null, string? tier = null, string? reply = null)
    {
        if (!telemetry.Tracking.Enabled)
            return;
        telemetry.Tracking.Write(new TrackingEvent
        {
            Time = clock.GetUtcNow(),
            Event = kind,
            QueueId = job.QueueId,
            Recipients = job.Recipients,
            Connector = connector,
            Tier = tier,
            Reply = reply,
        });
    }

    /// <summary>A part placed on a connector, with its tier ("pattern;cost"; null after an operator redirect outside its route).</summary>
    public void Routed(DeliveryJob job, string connector, PathSelector paths)
    {
        if (!telemetry.Tracking.Enabled)
            return;
        var tier = paths.TierOf(job, connector);
        Track(TrackingEventKind.Routed, job, connector, tier is null ? null : $"{tier.Pattern};{tier.Cost}");
    }

    /// <summary>Jobs a connector gave back, about to be placed again.</summary>
    public void Rerouted(string connector, IReadOnlyList<DeliveryJob> jobs, string reason)
    {
        telemetry.Metrics.Rerouted(connector, jobs.Count);
        foreach (var job in jobs)
            Track(TrackingEventKind.Rerouted, job, connector, reply: reason);
        log.Info("Rerouting {Count} job(s) from connector {Connector}: {Reason}", jobs.Count, connector, reason);
        Publish("rerouted", connector, jobs.Count, reason);
    }

    /// <summary>A deferred part waits until <paramref name="due"/>: metrics, its tracking line, and its retry position in the spool.</summary>
    public void Deferred(DeliveryJob job, string connector, string? firewall, string reply, DateTimeOffset due)
    {
        if (firewall is not null)
            telemetry.Metrics.Path(connector, firewall).Deferred(job.RecipientIndexes.Count);
        if (telemetry.Tracking.Enabled)
            telemetry.Tracking.Write(new TrackingEvent
            {
                Time = clock.GetUtcNow(),
                Event = TrackingEventKind.Deferred,
                QueueId = job.QueueId,
                Recipients = job.Recipients,
                Connector = connector,
                Firewall = firewall,
                Reply = reply,
                NextAttempt = due,
            });
        spool?.DeferAsync(job.QueueId, job.Deferrals, due).ContinueWith(
            t => log.Warning("Could not record the retry position of {QueueId}: {Error}", job.QueueId, t.Exception?.GetBaseException().Message),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    public void Deleted(string queueId, bool bounce)
    {
        if (!telemetry.Tracking.Enabled)
            return;
        telemetry.Tracking.Write(new TrackingEvent
        {
            Time = clock.GetUtcNow(),
            Event = TrackingEventKind.Deleted,
            QueueId = queueId,
            Reply = bounce ? "deleted by the operator; the sender is notified" : "deleted by the operator without a bounce",
        });
    }

    public void HandedOver(DeliveryJob job, string peer, string remoteQueueId, string reason)
    {
        log.Info("Handed {QueueId} ({Count} recipient(s)) to {Peer}, where it is {RemoteQueueId}: {Reason}",
            job.QueueId, job.Recipients.Count, peer, remoteQueueId, reason);
        Track(TrackingEventKind.HandedOver, job, reply: $"handed over to {peer} as {remoteQueueId}: {reason}");
        Publish("handed-over", peer, job.Recipients.Count, $"{job.QueueId} is {remoteQueueId} there: {reason}");
    }

    /// <summary>Keeps what operators decided across restarts; a failure is logged, the decision stays in force until then.</summary>
    public void SaveOperatorState(string? path, OperatorState state)
    {
        try
        {
            OperatorState.Save(path, state);
        }
        catch (IOException ex)
        {
            log.Error(ex, "Could not save the operator state to {File}; it will not survive a restart", path);
        }
    }

    /// <summary>The words operators see for a hand-back they caused (the tail and the tracking log).</summary>
    public static string Describe(HandBackReason reason, string? redirectTo) => reason switch
    {
        HandBackReason.ConnectorSuspended => "operator: connector suspended",
        HandBackReason.FirewallRedirected => $"operator: redirected to {redirectTo}",
        HandBackReason.MessageDeleted => "operator: message deleted",
        HandBackReason.NodeLeaving => "operator: node leaving",
        HandBackReason.MessageHeld => "operator: message held",
        HandBackReason.ConnectorHeld => "operator: connector held",
        HandBackReason.OutboundPaused => "operator: outbound paused",
        _ => reason.ToString(),
    };
}
