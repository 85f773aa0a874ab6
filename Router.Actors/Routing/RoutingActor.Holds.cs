using Akka.Actor;
using Akka.Event;
using Router.Messages.Delivery;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// Holding mail (issue 20): a message, a connector or all outbound mail waits in the router's table in state
/// <see cref="PlacementState.Held"/> until an operator releases it. Unlike a suspension a held connector keeps its
/// mail: nothing moves elsewhere. Holds are kept in the operator state file, so they survive a restart.
/// </summary>
public sealed partial class RoutingActor
{
    /// <summary>
    /// True, and the part put in the table as held, when a hold is in force for it: all outbound mail, its message,
    /// or the <paramref name="connector"/> it was about to go to. A leaving node hands everything over regardless.
    /// </summary>
    private bool HoldsInstead(DeliveryJob job, string? connector)
    {
        var holds = _paths.Operator;
        if (_paths.Leaving
            || (!holds.OutboundPaused && !holds.IsMessageHeld(job.QueueId) && (connector is null || !holds.IsConnectorHeld(connector))))
            return false;
        _placements.Held(job, connector);
        return true;
    }

    /// <summary>A held connector's backlog stays its own, held.</summary>
    private void KeepHeld(string connector, IReadOnlyList<DeliveryJob> jobs)
    {
        foreach (var job in jobs)
        {
            _placements.Remove(job);
            if (!_deleted.Contains(job.QueueId))
                _placements.Held(job, connector);
        }
    }

    private void OnHold(HoldCommand command)
    {
        var holds = _paths.Operator;
        var verb = command.Target switch
        {
            HoldTarget.Outbound => command.Hold ? "pause" : "resume",
            _ => command.Hold ? "hold" : "release",
        };
        switch (command.Target)
        {
            case HoldTarget.Message when command.Id is { Length: > 0 } queueId:
                if (!holds.HoldMessage(queueId, command.Hold))
                {
                    Sender.Tell(new QueueCommandDone(verb, 0));
                    return;
                }
                SaveState();
                if (command.Hold)
                {
                    HoldWaiting(p => p.Job.QueueId == queueId);
                    var affected = _placements.OfMessage(queueId).Count;
                    foreach (var connector in _connectors.Values)
                        connector.Tell(new HandBackJobs(HandBackReason.MessageHeld, OnlyQueueId: queueId));
                    _log.Warning("Operator: message {QueueId} held; it is not sent until released", queueId);
                    Done(verb, queueId, affected, "message held");
                }
                else
                {
                    _log.Info("Operator: message {QueueId} released", queueId);
                    Done(verb, queueId, ReleaseHeld(p => p.Job.QueueId == queueId), "message released");
                }
                return;
            case HoldTarget.Connector when command.Id is { Length: > 0 } connectorId:
                if (!Known(connectorId))
                    return;
                if (!holds.HoldConnector(connectorId, command.Hold))
                {
                    Sender.Tell(new QueueCommandDone(verb, 0));
                    return;
                }
                SaveState();
                if (command.Hold)
                {
                    var affected = _paths.Loads.Of(connectorId);
                    _connectors[connectorId].Tell(new HandBackJobs(HandBackReason.ConnectorHeld));
                    _log.Warning("Operator: connector {Connector} held; its mail stays with it, unsent, until released", connectorId);
                    Done(verb, connectorId, affected, "connector held");
                }
                else
                {
                    _log.Info("Operator: connector {Connector} released", connectorId);
                    Done(verb, connectorId, ReleaseHeld(p => p.Connector == connectorId), "connector released");
                }
                return;
            case HoldTarget.Outbound:
                if (holds.OutboundPaused == command.Hold)
                {
                    Sender.Tell(new QueueCommandDone(verb, 0));
                    return;
                }
                holds.OutboundPaused = command.Hold;
                SaveState();
                if (command.Hold)
                {
                    var affected = HoldWaiting(_ => true) + _placements.InState(PlacementState.Queued).Count;
                    foreach (var connector in _connectors.Values)
                        connector.Tell(new HandBackJobs(HandBackReason.OutboundPaused));
                    _log.Warning("Operator: outbound mail paused; nothing is sent until resumed (mail is still accepted)");
                    Done(verb, "outbound", affected, "outbound mail paused");
                }
                else
                {
                    _log.Info("Operator: outbound mail resumed");
                    Done(verb, "outbound", ReleaseHeld(_ => true), "outbound mail resumed");
                }
                return;
            default:
                Sender.Tell(new Status.Failure(new ArgumentException($"{verb} of a {command.Target.ToString().ToLowerInvariant()} needs an id")));
                return;
        }
    }

    /// <summary>Parked parts that match are held at once; deferred ones are held when their retry is due.</summary>
    private int HoldWaiting(Func<Placement, bool> which)
    {
        var parked = Take(p => p.State == PlacementState.Parked && which(p));
        foreach (var placement in parked)
            _placements.Held(placement.Job, null);
        return parked.Count;
    }

    /// <summary>Held parts that match are placed again (a hold still in force for them holds them again).</summary>
    private int ReleaseHeld(Func<Placement, bool> which)
    {
        var held = Take(p => p.State == PlacementState.Held && which(p));
        foreach (var placement in held)
            Place(placement.Job);
        return held.Count;
    }
}
