using Akka.Actor;
using Akka.Event;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// Finishes recipients that failed for good. A bounce to the sender comes first (when the sender
/// is not the null sender), the failure is journaled after, so a crash in between can send the
/// bounce twice but never lose it.
/// </summary>
public sealed class BounceActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageSpool _spool;
    private readonly IBounceSender? _bounces;
    private readonly RouterTelemetry _telemetry = RouterTelemetry.Get(Context.System);

    public BounceActor(MessageSpool spool, IBounceSender? bounces)
    {
        _spool = spool;
        _bounces = bounces;
        ReceiveAsync<RecipientsFailed>(OnFailedAsync);
        ReceiveAsync<RecipientsDelayed>(OnDelayedAsync);
    }

    private async Task OnDelayedAsync(RecipientsDelayed delayed)
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
            await _bounces.SendDelayAsync(message, told, delayed.WillRetryUntil);
            _log.Info("{QueueId}: delay notice sent to {Sender} for {Count} recipient(s)", delayed.QueueId, message.Envelope.Sender, told.Length);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "{QueueId}: could not spool the delay notice", delayed.QueueId);
        }
    }

    public static Props Props(MessageSpool spool, IBounceSender? bounces) =>
        Akka.Actor.Props.Create(() => new BounceActor(spool, bounces));

    private async Task OnFailedAsync(RecipientsFailed failed)
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
            await _spool.FinishAsync(failed.QueueId, pending.Select(r => r.RecipientIndex).ToArray(), RecipientOutcome.Cancelled);
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
                await _bounces.SendAsync(message, reported);
            }
            catch (Exception ex)
            {
                // Keep the recipients pending: the failure is reported again on the next attempt.
                _log.Error(ex, "{QueueId}: could not spool the bounce; the recipients stay queued", failed.QueueId);
                return;
            }
        }
        await _spool.FinishAsync(failed.QueueId, pending.Select(r => r.RecipientIndex).ToArray(), RecipientOutcome.Failed);
        foreach (var path in pending.GroupBy(r => (r.Connector, r.RemoteMta)))
            _telemetry.Metrics.Bounced(path.Key.Connector, path.Key.RemoteMta, path.Count());
        Track(TrackingEventKind.Bounced, message, pending);
    }

    /// <summary>One tracking line per recipient finished here, with the status and reason its sender is given.</summary>
    private void Track(string kind, SpooledMessage message, IReadOnlyList<FailedRecipient> recipients)
    {
        if (!_telemetry.Tracking.Enabled)
            return;
        var now = DateTimeOffset.UtcNow;
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
