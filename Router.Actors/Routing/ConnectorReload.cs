using Akka.Actor;
using Akka.Event;
using Router.Actors.Health;
using Router.Messages.Health;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// A configuration reload, the connector's side: a new set of firewalls, or removal. Jobs waiting at
/// a firewall the connector no longer uses come back here and go to its other firewalls; attempts in
/// flight finish where they are and are triaged here as usual. A removed connector gives every job
/// it still holds back to the router and stops once no attempt of its is in flight.
/// </summary>
public sealed partial class ConnectorActor
{
    /// <summary>Use these firewalls from now on.</summary>
    public sealed record Reconfigure(IReadOnlyDictionary<string, IActorRef> Firewalls);

    /// <summary>The connector is gone from the configuration.</summary>
    public sealed class Remove
    {
        public static readonly Remove Instance = new();
        private Remove() { }
    }

    private bool _removed;

    private void OnReconfigure(Reconfigure reconfigure)
    {
        // An MX connector's firewalls are its own children, made from its lookups.
        if (_mx is not null)
            return;
        var next = new Dictionary<string, FirewallView>(StringComparer.Ordinal);
        foreach (var (id, actor) in reconfigure.Firewalls)
        {
            if (_firewalls.TryGetValue(id, out var kept) && kept.Actor.Equals(actor))
            {
                next[id] = kept;
                continue;
            }
            next[id] = new FirewallView(actor);
            _metrics[id] = _allMetrics.Path(_id, id);
            actor.Tell(new SubscribeFirewall(_id));
        }
        foreach (var (id, view) in _firewalls)
        {
            if (!next.ContainsKey(id))
                view.Actor.Tell(new UnsubscribeFirewall(_id));
        }
        _firewalls = next;
        _log.Info("Connector {Connector} reconfigured: firewalls {Firewalls}", _id, string.Join(",", _firewalls.Keys));
        // Usable or not is decided again once the new firewalls have reported.
        Dispatch();
    }

    private void OnRemove()
    {
        _removed = true;
        foreach (var view in _firewalls.Values)
            view.Actor.Tell(new UnsubscribeFirewall(_id));
        var jobs = _backlog.ToArray();
        _backlog.Clear();
        if (_mx is not null)
            jobs = [.. jobs, .. TakeMxWaiting(null)];
        _log.Info("Connector {Connector} removed by a configuration reload: {Count} waiting job(s) placed elsewhere; attempts in flight finish first", _id, jobs.Length);
        HandBackForReroute(jobs);
        StopIfRemovedAndIdle();
    }

    /// <summary>A removed connector's jobs go straight back to the router to be placed under the new routing.</summary>
    private void HandBackForReroute(IReadOnlyList<DeliveryJob> jobs)
    {
        if (jobs.Count > 0)
            _router.Tell(new JobsHandedBack(_id, jobs, HandBackReason.ConfigReloaded, Load));
        StopIfRemovedAndIdle();
    }

    private void StopIfRemovedAndIdle()
    {
        if (_removed && _backlog.Count == 0 && _firewalls.Values.All(f => f.Outstanding <= 0))
            Context.Stop(Self);
    }
}
