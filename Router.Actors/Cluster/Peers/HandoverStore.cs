using System.Buffers;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Cluster;
using Router.Messages.Routing;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// Takes over a message a peer hands to this node: stores it in this node's spool under a new queue
/// id (fsync'd), has the owner's shadow copy of those recipients retired on its holder
/// (<see cref="ShadowRetirement"/>), and only then lets the sender be told; then routes it like mail
/// accepted here. A node that is leaving refuses (the sender keeps the mail and tries another node).
/// </summary>
public sealed class HandoverStore(MessageSpool spool, IActorRef router, ILogger logger, LeaveState? leave = null, MessageTrackingLog? tracking = null,
    ShadowRetirement? retirement = null)
    : IPeerStore
{
    public async Task<string> StoreAsync(PeerOffer offer, Envelope envelope, ReadOnlySequence<byte> body)
    {
        if (leave?.Leaving == true)
            throw new InvalidOperationException("this node is leaving the cluster");
        var spooled = await spool.AcceptAsync(envelope, ReadOnlyMemory<byte>.Empty, body).ConfigureAwait(false);
        var pending = spooled.PendingRecipients;
        if (retirement is not null && offer.Recipients is { } carried)
        {
            if (carried.Count != envelope.Recipients.Count)
            {
                logger.LogWarning("{OwnerQueueId} from {Owner} names {Named} recipient(s) for an envelope of {Recipients}; its shadow copy is not retired",
                    offer.QueueId, offer.Owner, carried.Count, envelope.Recipients.Count);
            }
            else if (await retirement.RetireAsync(offer).ConfigureAwait(false) is { Count: > 0 } promoted)
            {
                // The owner was lost and its holder promoted these before the handover reached it: the holder delivers them.
                var local = Enumerable.Range(0, carried.Count).Where(i => promoted.Contains(carried[i])).ToArray();
                await spool.FinishAsync(spooled.QueueId, local, RecipientOutcome.Cancelled).ConfigureAwait(false);
                pending = pending.Except(local).ToArray();
                logger.LogWarning("{QueueId} (from {Owner}, its {OwnerQueueId}): {Count} recipient(s) were already promoted from the owner's shadow copy, which delivers them; cancelled here",
                    spooled.QueueId, offer.Owner, offer.QueueId, local.Length);
            }
        }

        if (pending.Count > 0)
            router.Tell(new MessageSpooled(spooled.QueueId, spooled.Envelope, spooled.Length, pending));
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
