using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;

namespace Router.Actors.Health;

/// <summary>A connector no longer uses this firewall (a reload): its jobs waiting here go back to it, and it hears no more status.</summary>
public sealed record UnsubscribeFirewall(string ConnectorId);

/// <summary>A reload: the connector's jobs waiting here (not started) go back to it, to be routed again by the router.</summary>
public sealed record ReturnQueuedJobs(string ConnectorId);

/// <summary>
/// A configuration reload, the firewall's side: new settings (host, port, TLS, AUTH, pool size,
/// timeouts, health settings) or removal. Attempts in flight finish on their old connection; idle
/// pooled connections are closed and the pool is built again from the new settings. The circuit
/// breaker keeps its state; its thresholds are the new ones from the next event on.
/// </summary>
public sealed partial class FirewallActor
{
    private const string RemovedReason = "firewall removed by a configuration reload";

    /// <summary>Take these settings; <paramref name="ConnectorIds"/> are the connectors that use the firewall now.</summary>
    public sealed record Reconfigure(FirewallOptions Firewall, IReadOnlyList<string> ConnectorIds);

    /// <summary>The firewall is gone from the configuration: take no work, give back what waits, stop once the attempts in flight ended.</summary>
    public sealed class Remove
    {
        public static readonly Remove Instance = new();
        private Remove() { }
    }

    private void OnReconfigure(Reconfigure reconfigure)
    {
        var wasRemoved = _removed;
        _removed = false;
        var before = _firewall;
        _firewall = reconfigure.Firewall;
        // The learnt latencies stay (the same firewall) unless the detector's settings changed; the sending limits
        // start afresh when theirs did.
        if (_firewall.Latency != before.Latency)
            _latencies = new LatencyBook(_firewall.Latency, LatencyPrior.Get(Context.System));
        // This node's part of the new budgets (FirewallBudget.cs).
        _limits = CurrentLimits();
        if (_firewall.MaxMessageRate != before.MaxMessageRate)
            _messageRate = _limits.MessageRate is { } messages ? new TokenBucket(messages, _clock) : null;
        if (_firewall.MaxConnectionRate != before.MaxConnectionRate)
            _connectionRate = _limits.ConnectionRate is { } connections ? new TokenBucket(connections, _clock) : null;
        _connectorIds = reconfigure.ConnectorIds;
        _policy = HealthPolicy.From(_firewall);
        RetireWorkers();
        StartWorkers(_limits.MaxConnections);
        _log.Info("Firewall {Firewall} reconfigured{Back}: {Host}:{Port}, {MaxConnections} connections{Share}, tls {Tls}, auth {Auth}, connectors {Connectors}; {Busy} attempt(s) in flight finish on their old connection",
            [_firewall.Id, wasRemoved ? " (added back)" : string.Empty, _firewall.Host, _firewall.Port, _firewall.MaxConnections,
             _members is null ? string.Empty : $" (a cluster budget: {_limits.MaxConnections} on this node of {_limits.Nodes})",
             _firewall.Tls.ToString().ToLowerInvariant(), _firewall.Auth?.User ?? "none", string.Join(",", _connectorIds), _busy.Count]);
        PublishStatusIfChanged();
        Dispatch();
    }

    private void OnRemove()
    {
        _removed = true;
        _log.Info("Firewall {Firewall} removed by a configuration reload; {Busy} attempt(s) in flight finish first", _firewall.Id, _busy.Count);
        PublishStatusIfChanged();
        ReturnQueued(RemovedReason, reroute: true);
        RetireWorkers();
        StopIfRemovedAndIdle();
    }

    private void OnUnsubscribe(UnsubscribeFirewall unsubscribe)
    {
        _subscribers.Remove(Sender);
        ReturnQueuedOf(Sender, $"connector {unsubscribe.ConnectorId} no longer uses firewall {_firewall.Id}");
    }

    private void ReturnQueuedOf(IActorRef connector, string reason)
    {
        var mine = _queue.Where(w => w.Connector.Equals(connector)).ToArray();
        foreach (var work in mine)
            _queue.Remove(work);
        if (mine.Length > 0)
            connector.Tell(new JobsReturned(_firewall.Id, mine.Select(w => w.Job).ToArray(), reason) { Reroute = true });
    }

    /// <summary>
    /// <paramref name="count"/> workers of the current settings: the pool (this node's part of <c>max-connections</c>),
    /// or what it grew by. Named by generation: stopped ones may still hold their names.
    /// </summary>
    private void StartWorkers(int count)
    {
        for (var i = 1; i <= count; i++)
            _idle.Push(Context.ActorOf(DeliveryWorker.Props(_firewall, _openBody, _firewall.IdleTimeout, _latencies, _connectionRate),
                _generation == 0 ? $"worker-{i}" : $"worker-{_generation}-{i}"));
        _generation++;
    }

    /// <summary>Idle workers stop now (their connection is closed); busy ones when their attempt ends.</summary>
    private void RetireWorkers()
    {
        while (_idle.Count > 0)
            Context.Stop(_idle.Pop());
        _retiring.UnionWith(_busy.Keys);
    }

    /// <summary>A worker whose attempt ended goes back to the pool, or stops when it belongs to settings that were replaced.</summary>
    private void ReleaseWorker(IActorRef worker)
    {
        if (_retiring.Remove(worker) || _removed)
        {
            Context.Stop(worker);
            StopIfRemovedAndIdle();
            return;
        }
        _idle.Push(worker);
    }

    private void StopIfRemovedAndIdle()
    {
        if (_removed && _busy.Count == 0)
        {
            _log.Info("Firewall {Firewall} stopped: removed by a configuration reload, no attempt in flight", _firewall.Id);
            Context.Stop(Self);
        }
    }
}
