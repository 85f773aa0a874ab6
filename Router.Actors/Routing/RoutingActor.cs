using Akka.Actor;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Messages.Delivery;
using Router.Messages.Health;
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
    public sealed record AttachConnectors(IReadOnlyDictionary<string, IActorRef> Connectors);

    private sealed record RetryDue(DeliveryJob Job);

    private sealed class ExpireParked
    {
        public static readonly ExpireParked Instance = new();
        private ExpireParked() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AddressSpaceTable _table;
    private readonly IActorRef _bounces;
    private readonly RetryPolicy _retry;
    private readonly ConnectorChooser _chooser = new(new Random());
    private readonly Dictionary<string, IActorRef> _connectors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _backlog = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unusable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<RouteTier>> _plans = new(StringComparer.Ordinal);
    private readonly List<DeliveryJob> _parked = [];

    public RoutingActor(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry)
    {
        _table = table;
        _bounces = bounces;
        _retry = retry;

        Receive<AttachConnectors>(m =>
        {
            foreach (var (id, actor) in m.Connectors)
            {
                _connectors[id] = actor;
                _backlog.TryAdd(id, 0);
            }
        });
        Receive<MessageSpooled>(OnSpooled);
        Receive<JobReleased>(OnReleased);
        Receive<JobsRerouted>(OnRerouted);
        Receive<ConnectorStatus>(OnConnectorStatus);
        Receive<RetryDue>(m => Place(m.Job));
        Receive<ExpireParked>(_ => OnExpireParked());
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("expire-parked", ExpireParked.Instance, TimeSpan.FromSeconds(30));

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AddressSpaceTable table, IActorRef bounces, RetryPolicy retry) =>
        Akka.Actor.Props.Create(() => new RoutingActor(table, bounces, retry));

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
        foreach (var (job, plan) in jobs)
        {
            _plans[job.RouteKey] = plan.Tiers;
            Place(job);
        }
    }

    private void Place(DeliveryJob job)
    {
        if (!_plans.TryGetValue(job.RouteKey, out var tiers))
        {
            tiers = _table.Resolve(AddressSpaceTable.DomainOf(job.Recipients[0]));
            _plans[job.RouteKey] = tiers;
        }
        bool Usable(string id) => _connectors.ContainsKey(id) && !_unusable.Contains(id);
        var connector = (job.AvoidConnector is { } avoid ? _chooser.Choose(tiers, id => id != avoid && Usable(id), id => _backlog[id]) : null)
            ?? _chooser.Choose(tiers, Usable, id => _backlog[id]);
        if (connector is null)
        {
            _parked.Add(job);
            if (_parked.Count == 1 || _parked.Count % 1000 == 0)
                _log.Warning("No usable connector for {QueueId} (route {Route}); {Parked} job(s) waiting for a path to recover",
                    job.QueueId, job.RouteKey, _parked.Count);
            return;
        }
        _backlog[connector]++;
        _connectors[connector].Tell(new EnqueueJob(job));
    }

    private void OnReleased(JobReleased released)
    {
        _backlog[released.ConnectorId]--;
        if (released.Retry is not { } retry)
            return;
        if (released.RetryAfter <= TimeSpan.Zero)
            Place(retry);
        else
            Timers.StartSingleTimer(retry, new RetryDue(retry), released.RetryAfter);
    }

    private void OnRerouted(JobsRerouted rerouted)
    {
        _backlog[rerouted.ConnectorId] -= rerouted.Jobs.Count;
        _unusable.Add(rerouted.ConnectorId);
        _log.Info("Rerouting {Count} job(s) from connector {Connector}: {Reason}", rerouted.Jobs.Count, rerouted.ConnectorId, rerouted.Reason);
        foreach (var job in rerouted.Jobs)
            Place(job);
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
        var waiting = _parked.ToArray();
        _parked.Clear();
        _log.Info("Connector {Connector} is usable again; placing {Count} waiting job(s)", status.ConnectorId, waiting.Length);
        foreach (var job in waiting)
            Place(job);
    }
}
