using Akka.Actor;
using Akka.Event;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// The one place that journals what became of recipients: delivered (at once), failed for good and
/// cancelled. A bounce to the sender comes first (when the sender is not the null sender), the
/// failure is journaled after, so a crash in between can send the bounce twice but never lose it.
/// The work runs outside the mailbox and comes back as a message (<see cref="Done"/>): failures and
/// delay notices are handled one at a time, in order; deliveries never wait behind them.
/// </summary>
public sealed class OutcomeActor : ReceiveActor
{
    /// <summary>A failure or a delay notice is finished; the next waiting one may start.</summary>
    private sealed class Done
    {
        public static readonly Done Instance = new();
        private Done() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageSpool _spool;
    private readonly IBounceSender? _bounces;
    private readonly TimeProvider _clock;
    private readonly RouterTelemetry _telemetry = RouterTelemetry.Get(Context.System);
    private readonly Queue<object> _waiting = new();
    private bool _busy;

    public OutcomeActor(MessageSpool spool, IBounceSender? bounces, TimeProvider clock)
    {
        _spool = spool;
        _bounces = bounces;
        _clock = clock;
        Receive<RecipientsDelivered>(OnDelivered);
        Receive<RecipientsFailed>(Start);
        Receive<RecipientsDelayed>(Start);
        Receive<Done>(_ =>
        {
            _busy = false;
            if (_waiting.TryDequeue(out var next))
                Start(next);
        });
    }

    public static Props Props(MessageSpool spool, IBounceSender? bounces, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new OutcomeActor(spool, bounces, clock ?? TimeProvider.System));

    private void OnDelivered(RecipientsDelivered delivered)
    {
        var log = _log;
        _spool.FinishAsync(delivered.QueueId, delivered.Recipients, RecipientOutcome.Delivered).ContinueWith(
            t => log.Error(t.Exception, "Could not journal {Outcome} for {QueueId}; it may be delivered again after a restart", RecipientOutcome.Delivered, delivered.QueueId),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    private void Start(object message)
    {
        if (_busy)
        {
            _waiting.Enqueue(message);
            return;
        }
        _busy = true;
        var work = message is RecipientsFailed failed ? FailAsync(failed) : DelayAsync((RecipientsDelayed)message);
        work.ContinueWith(t =>
        {
            if (t.IsFaulted)
                _log.Error(t.Exception?.GetBaseException(), "Could not finish the recipients of {Message}", message);
            return Done.Instance;
        }, TaskScheduler.Default).PipeTo(Self);
    }

    private async Task DelayAsync(RecipientsDelayed delayed)
    {
        var message = _spool.Find(delayed.QueueId);
        if (message is null || message.Envelope.Sender.Length == 0 || _bounces is null)
            return;
        var told = delayed.Recipients
            .Where(r => message.PendingRecipients.Contains(r.RecipientIndex))
            .Where(r => message.Envelope.RecipientOptions?[r.RecipientIndex].WantsDelay ?? true)
            .ToArray();
        if (told.Length == 0)
            return;
        try
        {
            await _bounces.SendDelayAsync(message, told, delayed.WillRetryUntil).ConfigureAwait(false);
            _log.Info("{QueueId}: delay notice sent to {Sender} for {Count} recipient(s)", delayed.QueueId, message.Envelope.Sender, told.Length);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "{QueueId}: could not spool the delay notice", delayed.QueueId);
        }
    }

    private async Task FailAsync(RecipientsFailed failed)
    {
        var message = _spool.Find(failed.QueueId);
        if (message is null)
            return;
        var pending = failed.AllPending is { } all
            ? message.PendingRecipients.Select(i => all with { RecipientIndex = i }).ToArray()
            : failed.Recipients.Where(r => message.PendingRecipients.Contains(r.RecipientIndex)).ToArray();
        if (pending.Length == 0)
            return;
        if (!failed.Bounce)
        {
            _log.Info("{QueueId}: {Count} recipient(s) cancelled without a bounce: {Diagnostic}", failed.QueueId, pending.Length, pending[0].Diagnostic);
            await _spool.FinishAsync(failed.QueueId, pending.Select(r => r.RecipientIndex).ToArray(), RecipientOutcome.Cancelled).ConfigureAwait(false);
            Track(TrackingEventKind.Cancelled, message, pending);
            return;
        }
        foreach (var r in pending)
            _log.Warning("{QueueId}: recipient {Recipient} failed ({Status}): {Diagnostic}",
                failed.QueueId, message.Envelope.Recipients[r.RecipientIndex], r.Status, r.Diagnostic);
        // NOTIFY=NEVER, or a NOTIFY without FAILURE: the client asked not to hear of it.
        var reported = pending.Where(r => message.Envelope.RecipientOptions?[r.RecipientIndex].WantsFailure ?? true).ToArray();
        if (message.Envelope.Sender.Length == 0)
            _log.Info("{QueueId}: no bounce, the sender is the null sender <>", failed.QueueId);
        else if (reported.Length == 0)
            _log.Info("{QueueId}: no bounce, the client asked for none (NOTIFY)", failed.QueueId);
        else if (_bounces is not null)
        {
            try
            {
                await _bounces.SendAsync(message, reported).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Keep the recipients pending: the failure is reported again on the next attempt.
                _log.Error(ex, "{QueueId}: could not spool the bounce; the recipients stay queued", failed.QueueId);
                return;
            }
        }
        await _spool.FinishAsync(failed.QueueId, pending.Select(r => r.RecipientIndex).ToArray(), RecipientOutcome.Failed).ConfigureAwait(false);
        foreach (var path in pending.GroupBy(r => (r.Connector, r.RemoteMta)))
            _telemetry.Metrics.Bounced(path.Key.Connector, path.Key.RemoteMta, path.Count());
        Track(TrackingEventKind.Bounced, message, pending);
    }

    /// <summary>One tracking line per recipient finished here, with the status and reason its sender is given.</summary>
    private void Track(string kind, SpooledMessage message, IReadOnlyList<FailedRecipient> recipients)
    {
        if (!_telemetry.Tracking.Enabled)
            return;
        var now = _clock.GetUtcNow();
        foreach (var r in recipients)
            _telemetry.Tracking.Write(new TrackingEvent
            {
                Time = now,
                Event = kind,
                QueueId = message.QueueId,
                Recipients = [message.Envelope.Recipients[r.RecipientIndex]],
                Connector = r.Connector,
                Firewall = r.RemoteMta,
                Status = r.Status,
                Reply = r.Diagnostic,
            });
    }
}

/// <summary>Builds, spools and routes the bounce (DSN) for failed recipients of a message.</summary>
public interface IBounceSender
{
    Task SendAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> failed);

    /// <summary>A delay notice (Action: delayed) for recipients still being retried.</summary>
    Task SendDelayAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> delayed, DateTimeOffset willRetryUntil);
}
