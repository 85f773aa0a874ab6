using Akka.Actor;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Actors.Health;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// One per connector per node. Owns the connector's backlog (a mailbox cannot be moved, a list
/// can) and its count, feeds its healthy firewalls as their capacity allows, asks
/// <see cref="AttemptTriage"/> what each ended attempt means, tells the outcome actor (which alone
/// journals what became of recipients) the delivered and failed ones, and hands
/// its waiting jobs back to the router the moment none of its firewalls can take work. Every
/// message it sends the router carries its <see cref="ConnectorLoad"/>: the router never counts it.
/// </summary>
public sealed partial class ConnectorActor : ReceiveActor
{
    private sealed class FirewallView(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public bool Known { get; set; }
        public bool AcceptsWork { get; set; }
        public int Capacity { get; set; }
        public int Outstanding { get; set; }
        // What its last session offered of the extensions a message may need; null until one was opened.
        public MailExtensions? Offers { get; set; }
        public int Weight { get; set; } = 1;
        // Jobs beyond the running ones wait at the firewall so a freed connection never idles
        // for a round trip through this actor.
        public int Window => Capacity * 2;
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    // The per-message lines go straight to the host's logger: through Akka's logging they cost an event-stream
    // publish and a logger actor's turn each (~3% of a node's CPU at full load in the profile).
    private readonly Microsoft.Extensions.Logging.ILogger _mailLog;
    private readonly MessageTrackingLog _tracking = RouterTelemetry.Get(Context.System).Tracking;
    private readonly Dictionary<string, RouterMetrics.PathMetrics> _metrics;
    private readonly RouterMetrics _allMetrics = RouterTelemetry.Get(Context.System).Metrics;
    private readonly string _id;
    private readonly IActorRef _router;
    private readonly IActorRef _outcomes;
    private readonly AttemptPolicy _policy;
    private readonly TimeProvider _clock;
    private Dictionary<string, FirewallView> _firewalls;
    private readonly LinkedList<DeliveryJob> _backlog = new();
    private readonly WeightedRoundRobin _shares = new();
    private bool _usable;
    private long _enqueued;
    private long _duplicatesPossible;

    /// <param name="outcomes">The <see cref="Delivery.OutcomeActor"/>: it journals delivered recipients and bounces failed ones.</param>
    public ConnectorActor(string id, IReadOnlyDictionary<string, IActorRef> firewalls, IActorRef router, IActorRef outcomes,
        AttemptPolicy policy, TimeProvider clock, Microsoft.Extensions.Logging.ILogger? mailLog, MxRouting? mx = null)
    {
        _mx = mx;
        // The host passes its logger; actors built without one (tests) log these lines nowhere.
        _mailLog = mailLog ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _policy = policy;
        _clock = clock;
        _outcomes = outcomes;
        _id = id;
        _router = router;
        _firewalls = firewalls.ToDictionary(f => f.Key, f => new FirewallView(f.Value));
        var metrics = RouterTelemetry.Get(Context.System).Metrics;
        _metrics = firewalls.Keys.ToDictionary(f => f, f => metrics.Path(id, f));

        Receive<EnqueueJob>(m =>
        {
            _enqueued++;
            // An MX connector's job waits for its domain's MX lookup first.
            if (_mx is not null && !MxAdmit(m.Job))
                return;
            _backlog.AddLast(m.Job);
            Dispatch();
        });
        Receive<MxLooked>(OnMxLooked);
        Receive<GetMxFirewalls>(_ => OnGetMxFirewalls());
        Receive<FirewallStatus>(OnFirewallStatus);
        Receive<DeliveryAttempted>(OnAttempted);
        Receive<JobsReturned>(OnReturned);
        Receive<HandBackJobs>(OnHandBack);
        Receive<Reconfigure>(OnReconfigure);
        Receive<Remove>(_ => OnRemove());
    }

    public static Props Props(string id, IReadOnlyDictionary<string, IActorRef> firewalls, IActorRef router, IActorRef outcomes,
        AttemptPolicy policy, TimeProvider? clock = null, Microsoft.Extensions.Logging.ILogger? mailLog = null, MxRouting? mx = null) =>
        Akka.Actor.Props.Create(() => new ConnectorActor(id, firewalls, router, outcomes, policy, clock ?? TimeProvider.System, mailLog, mx));

    /// <summary>Jobs taken and not finished: waiting here, queued at or running on a firewall.</summary>
    private ConnectorLoad Load
    {
        get
        {
            var backlog = _backlog.Count + (_mx is null ? 0 : MxWaiting);
            foreach (var firewall in _firewalls.Values)
                backlog += firewall.Outstanding;
            return new ConnectorLoad(backlog, _enqueued);
        }
    }

    protected override void PreStart()
    {
        foreach (var firewall in _firewalls.Values)
            firewall.Actor.Tell(new SubscribeFirewall(_id));
        if (_mx is not null)
            _log.Info("Connector {Connector} loaded: MX, port {Port}", _id, _mx.Options.Port);
        else
            _log.Info("Connector {Connector} loaded: firewalls {Firewalls}", _id, string.Join(",", _firewalls.Keys));
    }

    private void OnFirewallStatus(FirewallStatus status)
    {
        if (!_firewalls.TryGetValue(status.FirewallId, out var view))
            return;
        view.Known = true;
        // The router weighs what the firewalls offer and which take work for mail that needs SMTPUTF8, 8BITMIME or REQUIRETLS.
        var offerChanged = view.AcceptsWork != status.AcceptsWork || view.Offers != status.Offers;
        view.AcceptsWork = status.AcceptsWork;
        view.Capacity = status.Capacity;
        view.Offers = status.Offers;
        view.Weight = status.Weight;
        if (_mx is not null)
        {
            // Always usable: a domain whose MX hosts are all down has its jobs deferred, not the connector's.
            if (offerChanged)
                _router.Tell(new ConnectorStatus(_id, true) { Load = Load, Firewalls = Offers() });
            Dispatch();
            return;
        }
        var usable = _firewalls.Values.Any(f => f.AcceptsWork);
        if (usable != _usable)
        {
            _usable = usable;
            _log.Info("Connector {Connector} is {State}", _id, usable ? "usable" : "down: no firewall takes work");
            if (!usable)
            {
                // Down, and the waiting jobs go back in the same message (once every firewall has said so).
                ReturnBacklog(_firewalls.Values.All(f => f.Known));
                return;
            }
            _router.Tell(new ConnectorStatus(_id, true) { Load = Load, Firewalls = Offers() });
        }
        else if (offerChanged)
            _router.Tell(new ConnectorStatus(_id, usable) { Load = Load, Firewalls = Offers() });
        Dispatch();
    }

    private void OnAttempted(DeliveryAttempted attempted)
    {
        if (_firewalls.TryGetValue(attempted.FirewallId, out var view))
            view.Outstanding--;
        var job = attempted.Job;
        var result = attempted.Result;
        var path = _metrics.GetValueOrDefault(attempted.FirewallId);
        path?.Attempted(result.Outcome);
        TrackAttempt(attempted);

        var verdict = AttemptTriage.Decide(job, _id, attempted.FirewallId, result, _policy);
        if (verdict.DuplicatePossible)
        {
            _duplicatesPossible++;
            _log.Info("{QueueId} may reach the firewall twice: {Firewall} failed after the data was sent ({Outcome}); {Count} such on {Connector}",
                [job.QueueId, attempted.FirewallId, result.Outcome, _duplicatesPossible, _id]);
        }
        if (verdict.SetAside)
            _log.Warning("Set aside {QueueId}: {Faults} firewall failures in a row while sending it, last via {Firewall}: {Detail}",
                job.QueueId, verdict.Next!.FirewallFaults, attempted.FirewallId, result.Detail);
        if (verdict.Delivered.Count > 0)
        {
            ConnectorLog.Delivered(_mailLog, job.QueueId, verdict.Delivered.Count, _id, attempted.FirewallId, result.Detail);
            _outcomes.Tell(new RecipientsDelivered(job.QueueId, verdict.Delivered));
            path?.Delivered(verdict.Delivered.Count, job.ReceivedAt == default ? null : _clock.GetUtcNow() - job.ReceivedAt);
            TrackDelivered(job, attempted.FirewallId, verdict.Delivered, result);
        }
        if (verdict.Failed.Count > 0)
            _outcomes.Tell(new RecipientsFailed(job.QueueId, verdict.Failed));
        if (verdict.RecipientDeferrals > 0)
            ConnectorLog.Deferred(_mailLog, job.QueueId, verdict.RecipientDeferrals, _id, attempted.FirewallId, result.Detail);
        _router.Tell(new JobReleased(_id, job, verdict.Release, verdict.Next, result.Detail, Load) { FirewallId = attempted.FirewallId });
        Dispatch();
        StopIfRemovedAndIdle();
    }

    private void OnReturned(JobsReturned returned)
    {
        if (_firewalls.TryGetValue(returned.FirewallId, out var view))
            view.Outstanding -= returned.Jobs.Count;
        if (_removed || returned.Reroute)
        {
            // A reload: the router places them under the new routing.
            HandBackForReroute(returned.Jobs);
            Dispatch();
            return;
        }
        for (var i = returned.Jobs.Count - 1; i >= 0; i--)
            _backlog.AddFirst(returned.Jobs[i]);
        Dispatch();
    }

    private void OnHandBack(HandBackJobs handBack)
    {
        // A reload: the jobs waiting at the firewalls come back too (as JobsReturned with Reroute).
        if (handBack.Reason == HandBackReason.ConfigReloaded)
        {
            foreach (var firewall in _firewalls.Values)
                firewall.Actor.Tell(new ReturnQueuedJobs(_id));
        }
        var jobs = _backlog.Where(j => handBack.OnlyQueueId is null || j.QueueId == handBack.OnlyQueueId).ToArray();
        foreach (var job in jobs)
            _backlog.Remove(job);
        if (_mx is not null)
            jobs = [.. jobs, .. TakeMxWaiting(handBack.OnlyQueueId)];
        _router.Tell(new JobsHandedBack(_id, jobs, handBack.Reason, Load) { RedirectTo = handBack.RedirectTo });
    }

    private void Dispatch()
    {
        if (_backlog.Count == 0 || _removed)
            return;
        if (_mx is not null)
        {
            DispatchMx();
            return;
        }
        if (!_firewalls.Values.Any(f => f.AcceptsWork))
        {
            // Until every firewall has reported its state once, "none usable" is not known yet.
            if (_firewalls.Values.Any(f => !f.Known))
                return;
            // Nothing of ours can deliver: give the whole backlog back to be placed elsewhere now.
            ReturnBacklog(true);
            return;
        }
        while (_backlog.Count > 0)
        {
            var job = _backlog.First!.Value;
            var needs = job.Needs;
            if (needs != MailExtensions.None && !_firewalls.Values.Any(f => f.AcceptsWork && CapabilityPlacement.Fit(f.Offers, needs) != ExtensionFit.Lacking))
            {
                // None of the firewalls that take work offers what it needs: the router places it where one does (the router
                // heard of these firewalls' offers before this).
                _backlog.RemoveFirst();
                _router.Tell(new JobReleased(_id, job, JobRelease.PlaceElsewhere, job,
                    $"no firewall of connector {_id} that takes work offers {ExtensionRequirements.Keyword(ExtensionRequirements.First(needs))}", Load));
                continue;
            }
            var best = PickFirewall(job.AvoidFirewall, needs) ?? PickFirewall(null, needs);
            if (best is null)
                return;
            _backlog.RemoveFirst();
            best.Outstanding++;
            best.Actor.Tell(new DeliverJob(job));
        }
    }

    /// <summary>Each firewall, whether it takes work and what its last session offered.</summary>
    private IReadOnlyList<FirewallOffer> Offers() =>
        // An MX connector's firewalls serve different domains: it weighs a job's extensions against its own domain's hosts.
        _mx is not null ? [] : _firewalls.Select(f => new FirewallOffer(f.Key, f.Value.AcceptsWork, f.Value.Offers)).ToArray();

    /// <summary>Tells the router this connector is down, with the waiting jobs when <paramref name="withBacklog"/>.</summary>
    private void ReturnBacklog(bool withBacklog)
    {
        DeliveryJob[] jobs = [];
        if (withBacklog)
        {
            jobs = _backlog.ToArray();
            _backlog.Clear();
        }
        _router.Tell(new ConnectorStatus(_id, false) { Returned = jobs, Load = Load, Firewalls = Offers() });
    }

    /// <summary>
    /// Among the firewalls with free room in their window, other than <paramref name="avoid"/>, the next by their
    /// weights (smooth weighted round robin: each gets its <c>weight</c>'s share of the jobs); for a job that needs
    /// extensions, never one known to lack them.
    /// </summary>
    private FirewallView? PickFirewall(string? avoid, MailExtensions needs)
    {
        var candidates = new List<(string, int)>(_firewalls.Count);
        foreach (var (id, view) in _firewalls)
        {
            if (id == avoid || !view.AcceptsWork || view.Outstanding >= view.Window)
                continue;
            // Never one known to lack what the job needs; one not known yet is tried like one known to offer it.
            if (needs != MailExtensions.None && CapabilityPlacement.Fit(view.Offers, needs) == ExtensionFit.Lacking)
                continue;
            candidates.Add((id, view.Weight));
        }
        return _shares.Next(candidates) is { } next ? _firewalls[next] : null;
    }

    /// <summary>The attempt's line in the tracking log: how the transaction ended and what the firewall said.</summary>
    private void TrackAttempt(DeliveryAttempted attempted)
    {
        if (!_tracking.Enabled)
            return;
        var result = attempted.Result;
        _tracking.Write(new TrackingEvent
        {
            Time = _clock.GetUtcNow(),
            Event = TrackingEventKind.Attempt,
            QueueId = attempted.Job.QueueId,
            Recipients = attempted.Job.Recipients,
            Connector = _id,
            Firewall = attempted.FirewallId,
            Outcome = RouterMetrics.OutcomeLabel(result.Outcome),
            Code = result.Recipients.Count > 0 ? result.Recipients[0].Code : 0,
            Reply = result.Detail,
            Attempt = attempted.Job.Attempts + 1,
        });
    }

    /// <summary>The delivered recipients' line in the tracking log (by their indexes in the envelope).</summary>
    private void TrackDelivered(DeliveryJob job, string firewallId, IReadOnlyList<int> recipientIndexes, DeliveryResult result)
    {
        if (!_tracking.Enabled)
            return;
        var first = result.Recipients.FirstOrDefault(r => r.RecipientIndex == recipientIndexes[0]);
        _tracking.Write(new TrackingEvent
        {
            Time = _clock.GetUtcNow(),
            Event = TrackingEventKind.Delivered,
            QueueId = job.QueueId,
            Recipients = recipientIndexes.Select(i => job.Recipients[IndexOf(job.RecipientIndexes, i)]).ToArray(),
            Connector = _id,
            Firewall = firewallId,
            Code = first?.Code,
            Reply = first?.Reply ?? result.Detail,
        });
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
                return i;
        }
        return -1;
    }
}

/// <summary>The connector's per-message log lines, formatted by the logging source generator.</summary>
internal static partial class ConnectorLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Delivered {QueueId} to {Count} recipient(s) via {Connector}/{Firewall}: {Reply}")]
    public static partial void Delivered(Microsoft.Extensions.Logging.ILogger logger, string queueId, int count, string connector, string firewall, string reply);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Deferred {QueueId} ({Count} recipient(s)) via {Connector}/{Firewall}: {Detail}")]
    public static partial void Deferred(Microsoft.Extensions.Logging.ILogger logger, string queueId, int count, string connector, string firewall, string detail);
}
