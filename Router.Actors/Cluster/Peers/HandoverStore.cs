using System.Buffers;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Cluster;
using Router.Messages.Routing;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// Takes over a message a peer hands to this node: stores it in this node's spool under a new queue
/// id (fsync'd before the sender is told), then routes it like mail accepted here. A node that is
/// leaving refuses (the sender keeps the mail and tries another node).
/// </summary>
public sealed class HandoverStore(MessageSpool spool, IActorRef router, ILogger logger, LeaveState? leave = null, MessageTrackingLog? tracking = null)
    : IPeerStore
{
    public async Task<string> StoreAsync(PeerOffer offer, Envelope envelope, ReadOnlySequence<byte> body)
    {
        if (leave?.Leaving == true)
            throw new InvalidOperationException("this node is leaving the cluster");
        var spooled = await spool.AcceptAsync(envelope, ReadOnlyMemory<byte>.Empty, body).ConfigureAwait(false);
        router.Tell(new MessageSpooled(spooled.QueueId, spooled.Envelope, spooled.Length, spooled.PendingRecipients));
        logger.LogInformation("Took over {QueueId} from {Owner} (its {OwnerQueueId}): {Recipients} recipient(s), {Bytes} bytes",
            spooled.QueueId, offer.Owner, offer.QueueId, envelope.Recipients.Count, spooled.Length);
        if (tracking is { Enabled: true })
            tracking.Write(new TrackingEvent
            {
                Time = DateTimeOffset.UtcNow,
                Event = TrackingEventKind.Received,
                QueueId = spooled.QueueId,
                Client = offer.Owner,
                Sender = envelope.Sender,
                Recipients = envelope.Recipients,
                Size = spooled.Length,
                Reply = $"taken over from {offer.Owner}, where it was {offer.QueueId}",
            });
        return spooled.QueueId;
    }
}
