using System.Buffers;
using Router.Actors.Delivery.Dsn;
using Router.Actors.Ingress;
using Router.Actors.Spool;
using Router.Messages.Delivery;
using Router.Messages.Routing;
using Router.Actors.Observability.Tracing;
using Router.Actors.Observability.Tracking;
using Envelope = Router.Messages.Envelope;

namespace Router.Actors.Delivery;

/// <summary>
/// Turns failed recipients into one DSN (RFC 3464) to the original sender, spools it with the
/// null sender (so it can never bounce itself) and hands it to the router like any other mail:
/// it travels through whichever connector covers the sender's domain.
/// </summary>
public sealed class SpoolBounceSender(MessageSpool spool, Action<MessageSpooled> route, string hostname, Func<string, string?> firewallHost, TimeProvider clock,
    MessageTrackingLog? tracking = null, MessageTracing? tracing = null)
    : IBounceSender
{
    public Task SendAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> failed) =>
        SendReportAsync(original, failed, DsnAction.Failed, null);

    public Task SendDelayAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> delayed, DateTimeOffset willRetryUntil) =>
        SendReportAsync(original, delayed, DsnAction.Delayed, willRetryUntil);

    private async Task SendReportAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> failed, DsnAction action, DateTimeOffset? willRetryUntil)
    {
        var span = tracing?.StartDsn(original, failed.Count, action == DsnAction.Delayed);
        var now = clock.GetUtcNow();
        var request = new DsnRequest(
            hostname,
            original.QueueId,
            original.Envelope.EnvelopeId,
            original.Envelope.ReceivedAt,
            original.Envelope.Sender,
            failed.Select(f => new DsnRecipient(
                original.Envelope.Recipients[f.RecipientIndex],
                original.Envelope.RecipientOptions?[f.RecipientIndex].OriginalRecipient,
                action,
                f.Status,
                f.Diagnostic,
                f.RemoteMta is { } id ? firewallHost(id) ?? id : null,
                LastAttempt: now,
                willRetryUntil)).ToArray(),
            // The report travels without REQUIRETLS (it has the null sender): the body of a message that asked for it stays out.
            string.Equals(original.Envelope.Return, "FULL", StringComparison.OrdinalIgnoreCase) && !original.Envelope.RequireTls ? DsnReturn.Full : DsnReturn.Headers);

        byte[] dsn;
        await using (var body = spool.OpenBody(original.QueueId))
            dsn = DsnBuilder.Build(request, body, now, hostname);

        // The report of an internationalised message is one too when it goes to a UTF-8 sender or carries UTF-8 in its own headers.
        var smtputf8 = original.Envelope.Smtputf8 && InternationalMail.Needs(string.Empty, [original.Envelope.Sender], new ReadOnlySequence<byte>(dsn));
        var queueId = spool.NewQueueId();
        var received = ReceivedHeader.Build("localhost", null, hostname, queueId, original.Envelope.Sender, now, utf8: smtputf8);
        // A report that returns 8-bit headers or content needs 8BITMIME like any message (RFC 6152).
        var envelope = new Envelope(string.Empty, [original.Envelope.Sender], now, string.Empty, hostname)
        {
            Smtputf8 = smtputf8,
            EightBit = EightBitContent.Has(new ReadOnlySequence<byte>(dsn)) || EightBitContent.Has(new ReadOnlySequence<byte>(received)),
            // The DSN's own spans (its routing and delivery) join the original's trace, under this span.
            TraceParent = MessageTracing.TraceParentOf(span),
        };
        var spooled = await spool.AcceptAsync(queueId, envelope, received, new ReadOnlySequence<byte>(dsn)).ConfigureAwait(false);
        Track(original, failed, action, spooled, dsn, now);
        route(new MessageSpooled(spooled.QueueId, spooled.Envelope, spooled.Length, spooled.PendingRecipients));
        MessageTracing.EndDsn(span, spooled.QueueId);
    }

    /// <summary>The DSN's own "received" line, and a "dsn" line in the original's history that points to it.</summary>
    private void Track(SpooledMessage original, IReadOnlyList<FailedRecipient> failed, DsnAction action, SpooledMessage dsn, byte[] data, DateTimeOffset now)
    {
        if (tracking is not { Enabled: true })
            return;
        var kind = action == DsnAction.Delayed ? "delay notice" : "bounce";
        tracking.Write(new TrackingEvent
        {
            Time = now,
            Event = TrackingEventKind.Received,
            QueueId = dsn.QueueId,
            MessageId = MessageIdHeader.Find(new ReadOnlySequence<byte>(data)),
            Helo = hostname,
            Sender = dsn.Envelope.Sender,
            Recipients = dsn.Envelope.Recipients,
            Size = dsn.Length,
            Reply = $"{kind} for {original.QueueId}",
        });
        tracking.Write(new TrackingEvent
        {
            Time = now,
            Event = TrackingEventKind.Dsn,
            QueueId = original.QueueId,
            Recipients = failed.Select(f => original.Envelope.Recipients[f.RecipientIndex]).ToArray(),
            DsnQueueId = dsn.QueueId,
            Reply = $"{kind} to {original.Envelope.Sender} queued as {dsn.QueueId}",
        });
    }
}
