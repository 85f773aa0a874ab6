using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The receiving side of a handover, after the message is durable here: has the owner's shadow copy of the recipients
/// that moved retired on its holder (<see cref="PeerOffer.ShadowHolder"/>), in this node's own
/// <see cref="ShadowStore"/> when this node is the holder, otherwise by asking the holder's keeper. The order
/// (durable here, then retired there, then <see cref="PeerStored"/> to the owner) means that at every moment the
/// recipients are durable on this node or in the copy, and once the owner hears of the handover no copy of them is
/// left to be promoted, whether or not the owner lives on to journal it. Never throws: a holder that does not answer
/// in time is logged (its copy may then be promoted too: a duplicate, never a loss).
/// </summary>
public sealed class ShadowRetirement(ActorSystem system, ShadowStore store, TimeSpan timeout, ILogger logger, ShadowMetrics? metrics = null)
{
    /// <summary>
    /// Retires the offer's recipients from the owner's copy and returns those of them (indexes in the owner's envelope)
    /// that the holder had already promoted into its own queue, which the holder delivers; usually none.
    /// </summary>
    public async Task<IReadOnlyList<int>> RetireAsync(PeerOffer offer)
    {
        if (offer.Kind != TransferKind.Handover || offer.ShadowHolder is not { } holderText || offer.Recipients is not { Count: > 0 } recipients)
            return [];
        Address holder;
        try
        {
            holder = Address.Parse(holderText);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            logger.LogWarning("{OwnerQueueId} from {Owner} names a shadow holder that is not an address ({Holder}); its copy is not retired",
                offer.QueueId, offer.Owner, holderText);
            return [];
        }

        try
        {
            if (holder.Equals(Akka.Cluster.Cluster.Get(system).SelfAddress))
            {
                var result = await store.RetireAsync(offer.Owner, offer.QueueId, recipients).ConfigureAwait(false);
                metrics?.Retired(result.Retired);
                return result.Promoted;
            }

            var (answer, noAnswer) = await AskHolderAsync(system, holder, new ShadowRetire(offer.Owner, offer.QueueId, recipients), timeout).ConfigureAwait(false);
            if (answer is null)
            {
                logger.LogWarning("No answer from {Holder} within {Timeout}s to retire its shadow copy of {OwnerQueueId} from {Owner} ({Error}): if that owner is lost it may be delivered twice",
                    holder, timeout.TotalSeconds, offer.QueueId, offer.Owner, noAnswer);
                return [];
            }

            if (answer.Error is not null)
                logger.LogWarning("{Holder} could not retire its shadow copy of {OwnerQueueId} from {Owner} ({Error}): if that owner is lost it may be delivered twice",
                    holder, offer.QueueId, offer.Owner, answer.Error);
            return answer.Promoted;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or IOException or ObjectDisposedException)
        {
            logger.LogWarning("No answer from {Holder} within {Timeout}s to retire its shadow copy of {OwnerQueueId} from {Owner} ({Error}): if that owner is lost it may be delivered twice",
                holder, timeout.TotalSeconds, offer.QueueId, offer.Owner, e.Message);
            return [];
        }
    }

    /// <summary>
    /// Asks <paramref name="holder"/>'s keeper to retire recipients from an owner's copy (<see cref="ShadowRetire"/>): its
    /// answer, or null with the reason when none came within <paramref name="timeout"/>.
    /// </summary>
    internal static async Task<(ShadowRetired? Answer, string? NoAnswer)> AskHolderAsync(ActorSystem system, Address holder, ShadowRetire retire, TimeSpan timeout)
    {
        try
        {
            var keeper = system.ActorSelection(new RootActorPath(holder) / "user" / ShadowKeeperActor.Name);
            return (await keeper.Ask<ShadowRetired>(retire, timeout).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or IOException or ObjectDisposedException)
        {
            return (null, e.Message);
        }
    }
}
