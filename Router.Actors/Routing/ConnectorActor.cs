using Akka.Actor;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Actors.Health;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// One per connector per node. Holds the connector's backlog in its own state (a mailbox cannot
/// be moved, a list can), feeds its healthy firewalls as their capacity allows, journals every
/// recipient outcome in the spool, and hands its whole backlog back to the router the moment none
/// of its firewalls can take work.
/// </summary>
public sealed class ConnectorActor : ReceiveActor
{
    private sealed class FirewallView(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public bool Known { get; set; }
        public bool AcceptsWork { get; set; }
        public int Capacity { get; set; }
        public int Outstanding { get; set; }
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
    private readonly string _id;
    private readonly IActorRef _router;
    private readonly MessageSpool _spool;
    private readonly RetryPolicy _retry;
    private readonly IActorRef _bounces;
    private readonly int _poisonAfter;
    private readonly Dictionary<string, FirewallView> _firewalls;
    private readonly LinkedList<DeliveryJob> _backlog = new();
    private bool _usable;
    private long _duplicatesPossible;

    public ConnectorActor(string id, IReadOnlyDictionary<string, IActorRef> firewalls, IActorRef router, IActorRef bounces, MessageSpool spool,
        RetryPolicy retry, int poisonAfter, Microsoft.Extensions.Logging.ILogger? mailLog = null)
    {
        // The host passes its logger; actors built without one (tests) log these lines nowhere.
        _mailLog = mailLog ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _poisonAfter = poisonAfter;
        _bounces = bounces;
        _retry = retry;
        _id = id;
        _router = router;
        _spool = spool;
        _firewalls = firewalls.ToDictionary(f => f.Key, f => new FirewallView(f.Value));
        var metrics = RouterTelemetry.Get(Context.System).Metrics;
        _metrics = firewalls.Keys.ToDictionary(f => f, f => metrics.Path(id, f));

        Receive<EnqueueJob>(m =>
        {
            _backlog.AddLast(m.Job);
            Dispatch();
        });
        Receive<FirewallStatus>(OnFirewallStatus);
        Receive<DeliveryAttempted>(OnAttempted);
        Receive<JobsReturned>(OnReturned);
        Receive<HandBackJobs>(OnHandBack);
    }

    public static Props Props(string id, IReadOnlyDictionary<string, IActorRef> firewalls, IActorRef router, IActorRef bounces, MessageSpool spool,
        RetryPolicy retry, int poisonAfter, Microsoft.Extensions.Logging.ILogger? mailLog = null) =>
        Akka.Actor.Props.Create(() => new ConnectorActor(id, firewalls, router, bounces, spool, retry, poisonAfter, mailLog));

    protected override void PreStart()
    {
        foreach (var firewall in _firewalls.Values)
            firewall.Actor.Tell(new SubscribeFirewall(_id));
        _log.Info("Connector {Connector} loaded: firewalls {Firewalls}", _id, string.Join(",", _firewalls.Keys));
    }

    private void OnFirewallStatus(FirewallStatus status)
    {
        if (!_firewalls.TryGetValue(status.FirewallId, out var view))
            return;
        view.Known = true;
        view.AcceptsWork = status.AcceptsWork;
        view.Capacity = status.Capacity;
        var usable = _firewalls.Values.Any(f => f.AcceptsWork);
        if (usable != _usable)
        {
            _usable = usable;
            _log.Info("Connector {Connector} is {State}", _id, usable ? "usable" : "down: no firewall takes work");
            _router.Tell(new ConnectorStatus(_id, usable));
        }
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

        if (OutcomeClassifier.PlaceElsewhereNow(result))
        {
            // The firewall failed, not the message: place it again at once. If the data went out
            // the firewall may have it already; a duplicate is the price of never losing it.
            if (result.DataSent)
            {
                _duplicatesPossible++;
                _log.Info("{QueueId} may reach the firewall twice: {Firewall} failed after the data was sent ({Outcome}); {Count} such on {Connector}",
                    [job.QueueId, attempted.FirewallId, result.Outcome, _duplicatesPossible, _id]);
            }
            var faults = OutcomeClassifier.IsFirewallFault(result) ? job.FirewallFaults + 1 : job.FirewallFaults;
            var faulted = job with { Attempts = job.Attempts + 1, FirewallFaults = faults };
            if (faulted.FirewallFaults >= _poisonAfter)
            {
                // The same message failed every firewall it met: it is the common factor. Set it
                // aside to wait for its retry alone, so the firewalls recover.
                _log.Warning("Set aside {QueueId}: {Faults} firewall failures in a row while sending it, last via {Firewall}: {Detail}",
                    job.QueueId, faulted.FirewallFaults, attempted.FirewallId, result.Detail);
                Defer(job, faulted, attempted.FirewallId, result.Detail);
                Dispatch();
                return;
            }
            // Placed again at once, elsewhere when possible: another connector of the tier, or
            // another firewall of this one.
            _router.Tell(new JobReleased(_id, job, faulted with { AvoidConnector = _id, AvoidFirewall = attempted.FirewallId },
                TimeSpan.Zero, result.Detail));
            Dispatch();
            return;
        }

        var delivered = new List<int>();
        var failed = new List<FailedRecipient>();
        var retry = new List<int>();
        for (var i = 0; i < result.Recipients.Count; i++)
        {
            var r = result.Recipients[i];
            var position = job.RecipientIndexes.IndexOf(r.RecipientIndex);
            if (position < 0)
                continue;
            if (r.Delivered)
                delivered.Add(r.RecipientIndex);
            else if (r.Permanent)
                failed.Add(new FailedRecipient(r.RecipientIndex, StatusOf(r.Reply, r.Code), r.Reply, attempted.FirewallId) { Connector = _id });
            else
                retry.Add(position);
        }

        if (delivered.Count > 0)
        {
            ConnectorLog.Delivered(_mailLog, job.QueueId, delivered.Count, _id, attempted.FirewallId, result.Detail);
            Journal(job.QueueId, delivered, RecipientOutcome.Delivered);
            path?.Delivered(delivered.Count, job.ReceivedAt == default ? null : DateTimeOffset.UtcNow - job.ReceivedAt);
            Track(TrackingEventKind.Delivered, job, attempted.FirewallId, delivered, result);
        }
        if (failed.Count > 0)
            _bounces.Tell(new RecipientsFailed(job.QueueId, failed));

        if (retry.Count > 0)
        {
            var again = job.Narrow(retry) with { Attempts = job.Attempts + 1, AvoidConnector = _id, FirewallFaults = 0 };
            ConnectorLog.Deferred(_mailLog, job.QueueId, retry.Count, _id, attempted.FirewallId, result.Detail);
            Defer(job, again, attempted.FirewallId, result.Detail);
        }
        else
            _router.Tell(new JobReleased(_id, job, null, TimeSpan.Zero, result.Detail));
        Dispatch();
    }

    /// <summary>
    /// Hands a deferred job back to the router with the wait the retry schedule gives it, or
    /// gives its recipients up (4.4.7, to the bounce) when the schedule has run out.
    /// </summary>
    private void Defer(DeliveryJob job, DeliveryJob again, string firewallId, string detail)
    {
        var deferred = again with { Deferrals = job.Deferrals + 1 };
        var now = DateTimeOffset.UtcNow;
        var next = _retry.NextAttempt(job.ReceivedAt, deferred.Deferrals, now);
        if (next is null)
        {
            _log.Warning("{QueueId} expired after {Age} undelivered; giving up {Count} recipient(s)",
                job.QueueId, now - job.ReceivedAt, deferred.RecipientIndexes.Count);
            _bounces.Tell(new RecipientsFailed(job.QueueId,
                deferred.RecipientIndexes.Select(i => new FailedRecipient(i, "4.4.7", $"delivery time expired; last reply: {detail}", firewallId) { Connector = _id }).ToArray()));
            _router.Tell(new JobReleased(_id, job, null, TimeSpan.Zero, detail));
            return;
        }
        if (_retry.DelayNoticeAfter is { } noticeAfter && !deferred.DelayNoticeSent && now - job.ReceivedAt >= noticeAfter)
        {
            deferred = deferred with { DelayNoticeSent = true };
            _bounces.Tell(new RecipientsDelayed(job.QueueId,
                deferred.RecipientIndexes.Select(i => new FailedRecipient(i, "4.4.7", $"still trying; last reply: {detail}", firewallId)).ToArray(),
                job.ReceivedAt + _retry.ExpireAfter));
        }
        _metrics.GetValueOrDefault(firewallId)?.Deferred(deferred.RecipientIndexes.Count);
        if (_tracking.Enabled)
            _tracking.Write(new TrackingEvent
            {
                Time = now,
                Event = TrackingEventKind.Deferred,
                QueueId = job.QueueId,
                Recipients = deferred.Recipients,
                Connector = _id,
                Firewall = firewallId,
                Reply = detail,
                NextAttempt = next.Value,
            });
        var log = _log;
        _spool.DeferAsync(job.QueueId, deferred.Deferrals, next.Value).ContinueWith(
            t => log.Warning("Could not record the retry position of {QueueId}: {Error}", job.QueueId, t.Exception?.GetBaseException().Message),
            TaskContinuationOptions.OnlyOnFaulted);
        _router.Tell(new JobReleased(_id, job, deferred, next.Value - now, detail));
    }

    /// <summary>The attempt's line in the tracking log: how the transaction ended and what the firewall said.</summary>
    private void TrackAttempt(DeliveryAttempted attempted)
    {
        if (!_tracking.Enabled)
            return;
        var result = attempted.Result;
        _tracking.Write(new TrackingEvent
        {
            Time = DateTimeOffset.UtcNow,
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

    /// <summary>A line of the tracking log about some recipients of a part (by their indexes in the envelope).</summary>
    private void Track(string kind, DeliveryJob job, string firewallId, IReadOnlyList<int> recipientIndexes, DeliveryResult result)
    {
        if (!_tracking.Enabled)
            return;
        var first = result.Recipients.FirstOrDefault(r => r.RecipientIndex == recipientIndexes[0]);
        _tracking.Write(new TrackingEvent
        {
            Time = DateTimeOffset.UtcNow,
            Event = kind,
            QueueId = job.QueueId,
            Recipients = recipientIndexes.Select(i => job.Recipients[job.RecipientIndexes.IndexOf(i)]).ToArray(),
            Connector = _id,
            Firewall = firewallId,
            Code = first?.Code,
            Reply = first?.Reply ?? result.Detail,
        });
    }

    /// <summary>The RFC 3463 code of a reply ("550 5.1.1 ..." gives 5.1.1), or the generic one for its class.</summary>
    private static string StatusOf(string reply, int code)
    {
        var match = System.Text.RegularExpressions.Regex.Match(reply, @"\b([245]\.\d{1,3}\.\d{1,3})\b");
        return match.Success ? match.Groups[1].Value : $"{Math.Max(code / 100, 4)}.0.0";
    }

    private void OnReturned(JobsReturned returned)
    {
        if (_firewalls.TryGetValue(returned.FirewallId, out var view))
            view.Outstanding -= returned.Jobs.Count;
        for (var i = returned.Jobs.Count - 1; i >= 0; i--)
            _backlog.AddFirst(returned.Jobs[i]);
        Dispatch();
    }

    private void OnHandBack(HandBackJobs handBack)
    {
        var jobs = _backlog.Where(j => handBack.OnlyQueueId is null || j.QueueId == handBack.OnlyQueueId).ToArray();
        foreach (var job in jobs)
            _backlog.Remove(job);
        _router.Tell(new JobsRerouted(_id, jobs, handBack.Reason) { RedirectTo = handBack.RedirectTo });
    }

    private void Dispatch()
    {
        if (_backlog.Count == 0)
            return;
        if (!_firewalls.Values.Any(f => f.AcceptsWork))
        {
            // Until every firewall has reported its state once, "none usable" is not known yet.
            if (_firewalls.Values.Any(f => !f.Known))
                return;
            // Nothing of ours can deliver: give the whole backlog back to be placed elsewhere now.
            var jobs = _backlog.ToArray();
            _backlog.Clear();
            _router.Tell(new JobsRerouted(_id, jobs, "no firewall of the connector takes work"));
            return;
        }
        while (_backlog.Count > 0)
        {
            var job = _backlog.First!.Value;
            var best = PickFirewall(job.AvoidFirewall) ?? PickFirewall(null);
            if (best is null)
                return;
            _backlog.RemoveFirst();
            best.Outstanding++;
            best.Actor.Tell(new DeliverJob(job));
        }
    }

    /// <summary>The firewall with the most free room in its window, other than <paramref name="avoid"/>.</summary>
    private FirewallView? PickFirewall(string? avoid)
    {
        FirewallView? best = null;
        foreach (var (id, view) in _firewalls)
        {
            if (id == avoid || !view.AcceptsWork || view.Outstanding >= view.Window)
                continue;
            if (best is null || view.Window - view.Outstanding > best.Window - best.Outstanding)
                best = view;
        }
        return best;
    }

    private void Journal(string queueId, IReadOnlyList<int> recipients, RecipientOutcome outcome)
    {
        var log = _log;
        _spool.FinishAsync(queueId, recipients, outcome).ContinueWith(
            t => log.Error(t.Exception, "Could not journal {Outcome} for {QueueId}; it may be delivered again after a restart", outcome, queueId),
            TaskContinuationOptions.OnlyOnFaulted);
    }
}

internal static class ListExtensions
{
    public static int IndexOf<T>(this IReadOnlyList<T> list, T value)
    {
        for (var i = 0; i < list.Count; i++)
            if (EqualityComparer<T>.Default.Equals(list[i], value))
                return i;
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
