using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Delivery;
using Router.Messages.Serialization;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// One per clustered node (<c>/user/handovers</c>): hands parts of queued messages to peers for the
/// routing actor (spill-over) and for a leaving node (drain), at most <c>max-concurrent</c> at once.
/// A part goes as an envelope with just its recipients plus the stored body, in chunks through the
/// <see cref="PeerOutbox"/>; only once the peer has it fsync'd are those recipients journaled here as
/// <see cref="RecipientOutcome.HandedOver"/>. Until then the mail is this node's: a failed handover
/// loses nothing. (A crash between the peer's acknowledgement and our journal line means both nodes
/// deliver it: at-least-once, like every other path.) The offer names the recipients and the holder
/// of the message's shadow copy, so that the peer has exactly those retired from the copy before it
/// acknowledges (<see cref="Router.Actors.Cluster.Shadow.ShadowRetirement"/>): a holder never
/// promotes what a peer already owns.
/// </summary>
public sealed class HandoverSender : ReceiveActor
{
    public const string Name = "handovers";

    /// <summary>Hand this part to <paramref name="Peer"/> (a node address); the answer is Completed, Failed or Gone.</summary>
    public sealed record HandOver(DeliveryJob Job, string Peer, string Reason) : INoSerializationVerificationNeeded;

    /// <summary>The peer has the part durable as <paramref name="RemoteQueueId"/>; its recipients are finished here.</summary>
    public sealed record Completed(DeliveryJob Job, string Peer, string RemoteQueueId, string Reason) : INoSerializationVerificationNeeded;

    /// <summary>The peer does not have it; it is still queued here.</summary>
    public sealed record Failed(DeliveryJob Job, string Peer, string Error) : INoSerializationVerificationNeeded;

    /// <summary>Nothing of the part is queued here any more (delivered, deleted meanwhile): nothing to hand over.</summary>
    public sealed record Gone(DeliveryJob Job) : INoSerializationVerificationNeeded;

    private sealed record Sent(HandOver Request, IActorRef ReplyTo, int[] Recipients, TransferResult Result) : INoSerializationVerificationNeeded;

    private sealed record Journaled(HandOver Request, IActorRef ReplyTo, string RemoteQueueId, Exception? Error) : INoSerializationVerificationNeeded;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageTracing _tracing = RouterTelemetry.Get(Context.System).Tracing;
    private readonly MessageSpool _spool;
    private readonly IActorRef _outbox;
    private readonly SpillOverSettings _settings;
    private readonly Func<string, IReadOnlyList<int>, Address?> _shadowHolderOf;
    private readonly Queue<(HandOver Request, IActorRef ReplyTo)> _waiting = new();
    private int _running;

    /// <param name="shadowHolderOf">Which peer holds a message's shadow copy, if any, told which recipients are handed over
    /// (<c>ShadowReplicator.HolderForHandover</c>); null when shadow copies are off.</param>
    public HandoverSender(MessageSpool spool, IActorRef outbox, SpillOverSettings settings, Func<string, IReadOnlyList<int>, Address?>? shadowHolderOf = null)
    {
        _spool = spool;
        _outbox = outbox;
        _settings = settings;
        _shadowHolderOf = shadowHolderOf ?? ((_, _) => null);
        Receive<HandOver>(h =>
        {
            _waiting.Enqueue((h, Sender));
            Pump();
        });
        Receive<Sent>(OnSent);
        Receive<Journaled>(j =>
        {
            _running--;
            if (j.Error is not null)
                _log.Error(j.Error, "{QueueId}: handed to {Peer} as {RemoteQueueId} but could not journal it here; it may be delivered twice after a restart",
                    j.Request.Job.QueueId, j.Request.Peer, j.RemoteQueueId);
            j.ReplyTo.Tell(new Completed(j.Request.Job, j.Request.Peer, j.RemoteQueueId, j.Request.Reason));
            Pump();
        });
    }

    public static Props Props(MessageSpool spool, IActorRef outbox, SpillOverSettings settings, Func<string, IReadOnlyList<int>, Address?>? shadowHolderOf = null) =>
        Akka.Actor.Props.Create(() => new HandoverSender(spool, outbox, settings, shadowHolderOf));

    private void Pump()
    {
        while (_running < _settings.MaxConcurrent && _waiting.TryDequeue(out var next))
            Start(next.Request, next.ReplyTo);
    }

    private void Start(HandOver request, IActorRef replyTo)
    {
        var job = request.Job;
        var message = _spool.Find(job.QueueId);
        var recipients = message is null ? [] : job.RecipientIndexes.Where(message.PendingRecipients.Contains).ToArray();
        if (message is null || recipients.Length == 0)
        {
            replyTo.Tell(new Gone(job));
            return;
        }

        Stream body;
        try
        {
            body = _spool.OpenBody(job.QueueId);
        }
        catch (Exception e) when (e is KeyNotFoundException or IOException)
        {
            replyTo.Tell(e is KeyNotFoundException ? new Gone(job) : new Failed(job, request.Peer, $"could not read the message: {e.Message}"));
            return;
        }

        var envelope = message.Envelope.Narrow(recipients) with { Handovers = message.Envelope.Handovers + 1 };
        var payload = TransferPayload.FromStream(EnvelopeCodec.Encode(envelope), body);
        _running++;
        var span = _tracing.StartHandover(job, request.Peer, request.Reason);
        PeerOutbox.SendAsync(_outbox, Address.Parse(request.Peer), TransferKind.Handover, job.QueueId, payload, _settings.TransferTimeout,
                MessageTracing.TraceParentOf(span) ?? job.TraceParent, recipients, _shadowHolderOf(job.QueueId, recipients)?.ToString())
            .PipeTo(Self, success: result =>
            {
                MessageTracing.EndHandover(span, result);
                return new Sent(request, replyTo, recipients, result);
            });
    }

    private void OnSent(Sent sent)
    {
        var (request, replyTo, recipients, result) = sent;
        if (!result.Stored)
        {
            _running--;
            replyTo.Tell(new Failed(request.Job, request.Peer, result.Error ?? "not stored"));
            Pump();
            return;
        }

        var remote = result.RemoteQueueId ?? string.Empty;
        _spool.FinishAsync(request.Job.QueueId, recipients, RecipientOutcome.HandedOver)
            .PipeTo(Self, success: () => new Journaled(request, replyTo, remote, null), failure: e => new Journaled(request, replyTo, remote, e));
    }
}
