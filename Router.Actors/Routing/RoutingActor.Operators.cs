using Akka.Actor;
using Akka.Event;
using Router.Messages.Delivery;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>Operator commands and queries: the queue, connector suspension and redirects, route explanations.</summary>
public sealed partial class RoutingActor
{
    private void ReceiveOperatorCommands()
    {
        Receive<ListQueue>(q => Sender.Tell(new QueueListing(_placements.Listing(q, _paths.Operator.FirewallConnectors))));
        Receive<RetryQueue>(OnRetryNow);
        Receive<HoldCommand>(OnHold);
        Receive<SuspendConnector>(OnSuspend);
        Receive<ResumeConnector>(OnResume);
        Receive<RedirectFirewall>(OnRedirect);
        Receive<DeleteMessage>(OnDelete);
        Receive<CancelRedirect>(OnCancelRedirect);
        Receive<ExplainRoute>(m => Sender.Tell(RouteExplainer.Explain(m.Address, _table, _paths.StateOf, (tiers, avoid) => _paths.Decide(tiers, _clock.GetUtcNow(), avoid), ExplainSpill, m.Sender, m.Size)));
        Receive<GetConnectorStates>(_ => Sender.Tell(new ConnectorStates(
            _connectors.Keys.Order(StringComparer.Ordinal).Select(_paths.StateOf).ToArray(),
            new Dictionary<string, string>(_paths.Operator.Redirects, StringComparer.Ordinal),
            _placements.ParkedCount)));
    }

    private string? ExplainSpill(IReadOnlyList<RouteTier> tiers, string? picked) =>
        _paths.SpillFor(0, tiers, picked, _clock.GetUtcNow()) is { } spill ? $"hand over to {spill.Peer}: {spill.Reason}" : null;

    private void OnRetryNow(RetryQueue retry)
    {
        var count = PlaceDeferredNow(retry.QueueId) + PlaceParked(retry.QueueId);
        _log.Info("Operator: retry now{Which}: {Count} part(s)", retry.QueueId is null ? string.Empty : $" for {retry.QueueId}", count);
        Done("retry", retry.QueueId ?? "queue", count, "retry now");
    }

    private void OnSuspend(SuspendConnector suspend)
    {
        if (!Known(suspend.ConnectorId))
            return;
        var affected = _paths.Loads.Of(suspend.ConnectorId);
        if (_paths.Operator.Suspend(suspend.ConnectorId))
        {
            SaveState();
            _log.Warning("Operator: connector {Connector} suspended; its backlog is placed elsewhere", suspend.ConnectorId);
            _connectors[suspend.ConnectorId].Tell(new HandBackJobs(HandBackReason.ConnectorSuspended));
            Done("suspend", suspend.ConnectorId, affected, "connector suspended");
        }
        else
            Sender.Tell(new QueueCommandDone("suspend", affected));
    }

    private void OnResume(ResumeConnector resume)
    {
        if (!Known(resume.ConnectorId))
            return;
        if (!_paths.Operator.Resume(resume.ConnectorId))
        {
            Sender.Tell(new QueueCommandDone("resume", 0));
            return;
        }
        SaveState();
        _log.Info("Operator: connector {Connector} resumed", resume.ConnectorId);
        Done("resume", resume.ConnectorId, PlaceParked(), "connector resumed");
    }

    private void OnRedirect(RedirectFirewall redirect)
    {
        if (!_connectors.ContainsKey(redirect.ConnectorId) || !_paths.Operator.FirewallConnectors.TryGetValue(redirect.FirewallId, out var sources))
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"unknown firewall '{redirect.FirewallId}' or connector '{redirect.ConnectorId}'")));
            return;
        }
        var affected = 0;
        var from = sources.Where(s => s != redirect.ConnectorId).ToHashSet(StringComparer.Ordinal);
        foreach (var source in from)
        {
            affected += _paths.Loads.Of(source);
            _connectors[source].Tell(new HandBackJobs(HandBackReason.FirewallRedirected, redirect.ConnectorId));
        }
        // Mail waiting for its retry or for a path, whose route runs through that firewall, goes now.
        var waiting = Take(p => p.State is PlacementState.Deferred or PlacementState.Parked && _paths.RoutesThrough(p.Job, from));
        foreach (var placement in waiting)
            PlaceOn(redirect.ConnectorId, placement.Job);
        affected += waiting.Count;
        _paths.Operator.Redirect(redirect.FirewallId, redirect.ConnectorId);
        SaveState();
        _log.Warning("Operator: mail for firewall {Firewall} redirected to connector {Connector} until cancelled", redirect.FirewallId, redirect.ConnectorId);
        Done("redirect", redirect.FirewallId, affected, $"redirected to connector {redirect.ConnectorId}");
    }

    private void OnDelete(DeleteMessage delete)
    {
        _deleted.Add(delete.QueueId);
        if (_paths.Operator.HoldMessage(delete.QueueId, false))
            SaveState();
        var waiting = Take(p => p.Job.QueueId == delete.QueueId);
        foreach (var connector in _connectors.Values)
            connector.Tell(new HandBackJobs(HandBackReason.MessageDeleted, OnlyQueueId: delete.QueueId));
        _bounces.Tell(new RecipientsFailed(delete.QueueId, []) { Bounce = delete.Bounce, AllPending = new FailedRecipient(0, "5.0.0", "deleted by the operator", null) });
        _log.Warning("Operator: message {QueueId} deleted ({Bounce})", delete.QueueId, delete.Bounce ? "sender notified" : "no bounce");
        _record.Deleted(delete.QueueId, delete.Bounce);
        Done("delete", delete.QueueId, waiting.Count, delete.Bounce ? "deleted, sender notified" : "deleted, no bounce");
    }

    private void OnCancelRedirect(CancelRedirect cancel)
    {
        if (!_paths.Operator.CancelRedirect(cancel.FirewallId))
        {
            Sender.Tell(new QueueCommandDone("cancel-redirect", 0));
            return;
        }
        SaveState();
        _log.Info("Operator: redirect of firewall {Firewall} cancelled", cancel.FirewallId);
        Done("cancel-redirect", cancel.FirewallId, 1, "redirect cancelled");
    }

    private void SaveState() => _record.SaveOperatorState(_stateFile, _paths.Operator.ToState());

    /// <summary>An operator command is done: the event for the tail, and the reply with the parts it touched.</summary>
    private void Done(string command, string subject, int affected, string detail)
    {
        _record.Publish("operator", subject, affected, detail);
        Sender.Tell(new QueueCommandDone(command, affected));
    }
}
