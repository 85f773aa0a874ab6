using System.Buffers;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Observability.Tracing;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Spool;
using Router.Messages;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Routing;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Router.Actors.Ingress;

/// <summary>
/// Makes each message durable before it is acknowledged: the spool writes and fsyncs it (shared
/// with concurrent sessions), then the router is told, then the client gets 250. Any fault on the
/// way is a 451, so the client keeps the message and retries; never a silent loss or a false 5xx.
/// </summary>
internal sealed class SpoolMessageStore(MessageSpool spool, IActorRef router, string hostname, long maxMessageSize, int maxHops,
    bool normalizeBareLineEndings, ILogger logger, TimeProvider clock, RouterTelemetry? telemetry = null, ShadowReplicator? shadow = null)
    : IMessageStore
{
    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            // The session's listener may take less than the edge (a listener block's max-message-size).
            var limit = Math.Min(SessionState.Of(context).MaxMessageSize ?? maxMessageSize, maxMessageSize);
            if (buffer.Length > limit)
                return SmtpReplies.MessageTooBig(limit);
            if (SessionGuard.Of(context)?.Limits.MaxTextLineLength is { } maxLine && TextLines.HasLineLongerThan(buffer, maxLine))
                return LimitReplies.TextLineTooLong(maxLine);
            if (BareLineEndings.Find(buffer) is { } problem)
            {
                if (!normalizeBareLineEndings)
                {
                    logger.LogWarning("Refused a message from {Client}: {Problem} in the data (SMTP smuggling protection)", SessionState.ClientAddress(context), problem);
                    return SmtpReplies.BareLineEnding(problem);
                }
                buffer = new ReadOnlySequence<byte>(BareLineEndings.Normalize(buffer));
            }
            // A message that has already passed this many hops is going round in circles.
            if (Router.Actors.Delivery.Dsn.LoopDetector.CountReceivedHeaders(buffer, maxHops) > maxHops)
            {
                logger.LogWarning("Refused a message from {Client}: more than {MaxHops} Received headers, a mail loop", SessionState.ClientAddress(context), maxHops);
                return SmtpReplies.MailLoop(maxHops);
            }

            var session = SessionState.Of(context);
            var client = SessionState.ClientAddress(context);
            var now = clock.GetUtcNow();
            // The addresses as the client wrote them (a UTF-8 domain included: the library's copy of it is ASCII-decoded).
            var recipients = session.AcceptedRecipients.Count == transaction.To.Count ? session.AcceptedRecipients.ToArray() : transaction.To.Select(Address).ToArray();
            var sender = session.Mail is { } mail && !System.Text.Ascii.IsValid(mail.Address) ? mail.Address : Address(transaction.From);
            var envelope = new Envelope(sender, recipients, now, client?.ToString() ?? string.Empty, session.Helo)
            {
                Smtputf8 = session.Smtputf8 && InternationalMail.Needs(sender, recipients, buffer),
                EnvelopeId = Parameter(transaction, "ENVID") is { } envid ? DsnParameters.DecodeXtext(envid) : null,
                Return = Parameter(transaction, "RET")?.ToUpperInvariant(),
                RecipientOptions = session.AcceptedOptions.Count == recipients.Length && session.AcceptedOptions.Any(o => o is not null)
                    ? session.AcceptedOptions.Select(o => o ?? new RecipientNotify(null, null)).ToArray()
                    : null,
                TraceParent = MessageTracing.AcceptTraceParent(),
            };
            var queueId = spool.NewQueueId();
            var received = ReceivedHeader.Build(session.Helo, client, hostname, queueId, recipients.Length == 1 ? recipients[0] : null, now,
                ReceivedHeader.Protocol(context.Pipe.IsSecure, context.Authentication.IsAuthenticated, session.Smtputf8), envelope.Smtputf8);
            envelope = envelope with
            {
                // RFC 6152: 8-bit bytes (declared with BODY=8BITMIME or not) go only to a firewall that offers 8BITMIME.
                EightBit = EightBitContent.Has(buffer) || EightBitContent.Has(new ReadOnlySequence<byte>(received)),
                // RFC 8689 §4.1: the message is tagged as needing REQUIRETLS (the parameter is taken over TLS only).
                RequireTls = session.RequireTls && context.Pipe.IsSecure,
            };

            // Not cancellable: the spool reads the client's buffer until the write is durable, and a
            // half-abandoned write must not be acknowledged or lost track of.
            var fsync = telemetry?.Tracing.StartSpoolWrite(queueId, envelope, buffer.Length + received.Length);
            var accepting = spool.AcceptAsync(queueId, envelope, received, buffer, CancellationToken.None);
            MessageTracing.EndWhenDone(fsync, accepting);
            if (shadow?.DeliverFirst is { } wait && wait > TimeSpan.Zero)
                return await DeliverFirstAsync(shadow, wait, envelope, received, buffer, accepting).ConfigureAwait(false);
            // Shadow redundancy: the copy to a peer runs alongside the local fsync, so a 250 waits for the slower of the two.
            if (shadow is not null && await ShadowAsync(shadow, queueId, envelope, received, buffer, accepting).ConfigureAwait(false) is { } refused)
                return refused;
            var spooled = await accepting.ConfigureAwait(false);
            Route(spooled, buffer);
            return SmtpReplies.Queued(spooled.QueueId);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not spool a message from {Client}; answered 451", SessionState.ClientAddress(context));
            return SmtpReplies.TemporaryFailure;
        }
    }

    /// <summary>The message is durable here: counted, logged and handed to the router.</summary>
    private void Route(SpooledMessage spooled, ReadOnlySequence<byte> buffer)
    {
        Track(telemetry, spooled, buffer);
        router.Tell(new MessageSpooled(spooled.QueueId, spooled.Envelope, spooled.Length, spooled.PendingRecipients));
        var envelope = spooled.Envelope;
        logger.LogInformation("Accepted {QueueId} from {Client} ({Helo}): <{Sender}> to {Recipients} recipient(s), {Bytes} bytes",
            spooled.QueueId, envelope.ClientAddress, envelope.ClientHelo, envelope.Sender, envelope.Recipients.Count, spooled.Length);
    }

    /// <summary>
    /// <c>router.shadow-deliver-first</c>: once the message is durable here it is routed at once, and the <c>250</c>
    /// waits up to <paramref name="wait"/> for it to leave this node (delivered, or bounced: the next hop, or the
    /// sender's DSN, has it). Only a message still here then is copied to a peer, as without the option, before the
    /// <c>250</c>. Nothing is answered <c>250</c> that is neither delivered nor on two nodes (unless no peer took the
    /// copy, as <c>preferred</c> allows).
    /// </summary>
    private async Task<SmtpResponse> DeliverFirstAsync(ShadowReplicator shadow, TimeSpan wait, Envelope envelope, byte[] received,
        ReadOnlySequence<byte> buffer, Task<SpooledMessage> accepting)
    {
        var spooled = await accepting.ConfigureAwait(false);
        var queueId = spooled.QueueId;
        // Watched before it is routed: it cannot leave unseen.
        var leaving = shadow.Leaving(queueId);
        try
        {
            Route(spooled, buffer);
            await leaving.WaitAsync(wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (leaving.IsCompleted)
            {
                shadow.NotNeeded();
                return SmtpReplies.Queued(queueId);
            }

            var copy = await shadow.CopyAsync(queueId, envelope, received, buffer).ConfigureAwait(false);
            if (leaving.IsCompleted)
            {
                // It left while its copy was on the way: a copy that landed after the discard went out goes as well.
                shadow.Forget([queueId]);
            }
            else if (!copy.Stored)
            {
                logger.LogWarning("Accepted {QueueId} without a shadow copy: {Error}", queueId, copy.Error);
            }
            else if (copy.Holder is { } holder && spool.Find(queueId) is { } here)
            {
                // Recipients delivered or handed over during the wait are in the copy too: the holder retires them.
                await shadow.RetireLeftAsync(queueId, holder, envelope.Recipients.Count, here.PendingRecipients).ConfigureAwait(false);
            }

            return SmtpReplies.Queued(queueId);
        }
        finally
        {
            shadow.Unwatch(queueId);
        }
    }

    /// <summary>
    /// Sends the shadow copy while the local spool writes, and waits for both (the client's buffer must outlive
    /// both). Null when the message may be acknowledged; a reply otherwise: with <c>required</c> and no peer's
    /// acknowledgement, the local copy is withdrawn and the client told 451 4.4.0, never 250.
    /// </summary>
    private async Task<SmtpResponse?> ShadowAsync(ShadowReplicator shadow, string queueId, Envelope envelope, byte[] received,
        ReadOnlySequence<byte> buffer, Task<SpooledMessage> accepting)
    {
        var copy = await shadow.CopyAsync(queueId, envelope, received, buffer).ConfigureAwait(false);
        SpooledMessage spooled;
        try
        {
            spooled = await accepting.ConfigureAwait(false);
        }
        catch
        {
            shadow.Forget([queueId]);
            throw;
        }

        if (copy.Stored)
            return null;
        if (shadow.Mode == ShadowMode.Required)
        {
            await spool.FinishAsync(queueId, spooled.PendingRecipients, RecipientOutcome.Cancelled).ConfigureAwait(false);
            logger.LogWarning("Refused {QueueId} from {Client} with 451: no peer took its shadow copy ({Error}) and router.shadow is required",
                queueId, envelope.ClientAddress, copy.Error);
            return SmtpReplies.NoShadowCopy;
        }

        logger.LogWarning("Accepted {QueueId} without a shadow copy: {Error}", queueId, copy.Error);
        return null;
    }

    /// <summary>Counts the message and writes its "received" line, before the router hears of it (so before "routed").</summary>
    private static void Track(RouterTelemetry? telemetry, SpooledMessage spooled, ReadOnlySequence<byte> data)
    {
        if (telemetry is null)
            return;
        telemetry.Metrics.MessageAccepted(spooled.Length);
        if (!telemetry.Tracking.Enabled)
            return;
        var envelope = spooled.Envelope;
        telemetry.Tracking.Write(new TrackingEvent
        {
            Time = envelope.ReceivedAt,
            Event = TrackingEventKind.Received,
            QueueId = spooled.QueueId,
            MessageId = MessageIdHeader.Find(data),
            Client = envelope.ClientAddress,
            Helo = envelope.ClientHelo,
            Sender = envelope.Sender,
            Recipients = envelope.Recipients,
            Size = spooled.Length,
        });
    }

    private static string? Parameter(IMessageTransaction transaction, string name) =>
        transaction.Parameters?.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string Address(IMailbox? mailbox) =>
        mailbox is null || (mailbox.User.Length == 0 && mailbox.Host.Length == 0) ? string.Empty : $"{mailbox.User}@{mailbox.Host}";
}
