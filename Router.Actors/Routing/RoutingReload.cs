using Akka.Actor;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>A configuration reload, the router's side: the new address spaces, connectors and retry schedule.</summary>
/// <param name="FirewallConnectors">Each firewall and the connectors that use it.</param>
public sealed record ReloadRoutes(AddressSpaceTable Table, IReadOnlyDictionary<string, IActorRef> Connectors,
    IReadOnlyDictionary<string, IReadOnlyList<string>> FirewallConnectors, RetryPolicy Retry);

/// <summary>The answer to <see cref="ReloadRoutes"/>: how many parts were taken to be placed again.</summary>
public sealed record RoutesReloaded(int Backlogs, int Deferred, int Parked);

/// <summary>
/// Queued mail is routed again under the new rules: every kept connector hands its backlog back
/// (a removed one does so by itself), parked parts are placed now, deferred parts keep their retry
/// time and are split again under the new address spaces. A part's recipients that no address
/// space serves any more wait (parked, with a log line saying why) until a reload routes them or
/// they expire; they are not bounced at once, since the change may be a mistake about to be undone.
/// </summary>
public sealed partial class RoutingActor
{
    // Set by the first reload: from then on a part may carry a route key of an older table.
    private bool _reloaded;

    private void OnReloadRoutes(ReloadRoutes reload)
    {
        var kept = reload.Connectors.Keys.Where(_connectors.ContainsKey).ToArray();
        _table = reload.Table;
        _retry = reload.Retry;
        _reloaded = true;
        _connectors.Clear();
        foreach (var (id, actor) in reload.Connectors)
            _connectors[id] = actor;
        _paths.Reload(reload.Table, reload.Connectors.Keys, reload.FirewallConnectors);

        foreach (var id in kept)
            _connectors[id].Tell(new HandBackJobs(HandBackReason.ConfigReloaded));
        var deferred = Take(p => p.State == PlacementState.Deferred);
        foreach (var placement in deferred)
        {
            foreach (var part in Resplit(placement.Job) ?? [placement.Job])
                Wait(part, placement.NextAttempt ?? _clock.GetUtcNow());
        }
        var parked = PlaceParked();
        _log.Info("Configuration reloaded: {Connectors} connector(s); backlogs of {Kept} connector(s), {Deferred} deferred and {Parked} parked part(s) routed again under the new rules",
            _connectors.Count, kept.Length, deferred.Count, parked);
        Sender.Tell(new RoutesReloaded(kept.Length, deferred.Count, parked));
    }

    /// <summary>The part split by the routes its recipients have now; null when it routes as one, under its own key, already.</summary>
    private IReadOnlyList<DeliveryJob>? Resplit(DeliveryJob job)
    {
        var groups = new Dictionary<string, (RoutePlan Plan, List<int> Positions)>(StringComparer.Ordinal);
        for (var i = 0; i < job.Recipients.Count; i++)
        {
            var plan = RoutePlan.From(_table.Resolve(AddressSpaceTable.DomainOf(job.Recipients[i])));
            if (!groups.TryGetValue(plan.Key, out var group))
                groups[plan.Key] = group = (plan, []);
            group.Positions.Add(i);
        }
        if (groups.Count == 1 && groups.ContainsKey(job.RouteKey))
            return null;
        var parts = new List<DeliveryJob>(groups.Count);
        foreach (var (key, (plan, positions)) in groups)
        {
            _paths.Remember(key, plan.Tiers);
            var part = (positions.Count == job.Recipients.Count ? job : job.Narrow(positions)) with { RouteKey = key, AvoidConnector = null };
            if (plan.Tiers.Count == 0)
                _log.Warning("{QueueId}: no address space serves {Recipients} since the configuration reload; it waits (parked) until a reload gives it a route or it expires",
                    job.QueueId, string.Join(",", part.Recipients));
            parts.Add(part);
        }
        return parts;
    }
}
