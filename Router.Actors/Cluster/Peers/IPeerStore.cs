using System.Buffers;
using Router.Messages;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Peers;

/// <summary>Where the receiving node keeps what a peer sends it, by <see cref="TransferKind"/>.</summary>
public interface IPeerStore
{
    /// <summary>Makes the message durable and returns its queue id here; the sender is told only after this completes.</summary>
    /// <param name="body">The stored body (valid until the task completes).</param>
    Task<string> StoreAsync(PeerOffer offer, Envelope envelope, ReadOnlySequence<byte> body);
}
