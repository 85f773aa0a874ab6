namespace Router.Messages.Cluster;

/// <summary>What the receiving node does with a message another node sends it.</summary>
public enum TransferKind
{
    /// <summary>Keep a shadow copy for the owner (shadow redundancy); deliver it only if the owner is lost.</summary>
    Shadow = 1,

    /// <summary>Take the message over: queue it and deliver it (spill-over routing, drain on leave).</summary>
    Handover = 2,
}

/// <summary>
/// Sender → receiving node's peer intake: the start of a transfer. The payload is the envelope's
/// JSON (<paramref name="EnvelopeLength"/> bytes) followed by the stored body
/// (<paramref name="BodyLength"/> bytes). A small payload travels inline in <see cref="Inline"/>;
/// a larger one is pulled by the receiver in <see cref="PeerChunk"/>s, so no remoting frame is big
/// and heartbeats keep flowing between chunks.
/// </summary>
/// <param name="TransferId">Unique per transfer, chosen by the sender.</param>
/// <param name="Owner">The sending node's unique address (address#uid): whose message this is.</param>
/// <param name="QueueId">The message's queue id on the sending node.</param>
public sealed record PeerOffer(string TransferId, TransferKind Kind, string Owner, string QueueId, int EnvelopeLength, long BodyLength) : IRouterProtocol
{
    /// <summary>The whole payload when it is small enough to travel in this message; null when it is pulled in chunks.</summary>
    public byte[]? Inline { get; init; }

    /// <summary>
    /// The sender's span of this transfer (W3C traceparent, OpenTelemetry): the receiver's span of it is its child, so
    /// one message's trace runs on across nodes. Null when the message is not traced, and from senders that predate it.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// Handovers only: the node that holds the owner's shadow copy of this message (an Akka address), if it has one. The
    /// receiver, once the message is durable here, has that copy retired for <see cref="Recipients"/> before it answers
    /// <see cref="PeerStored"/>, so that a lost owner's copy is never promoted for mail a peer already owns. Null when
    /// the message has no shadow copy, and from senders that predate it.
    /// </summary>
    public string? ShadowHolder { get; init; }

    /// <summary>
    /// Handovers only: the indexes, in the owner's envelope, of the recipients this transfer carries (the envelope sent
    /// holds just these, in this order). With <see cref="ShadowHolder"/>, what the holder retires.
    /// </summary>
    public IReadOnlyList<int>? Recipients { get; init; }
}

/// <summary>Receiver → sender: send the payload bytes from <paramref name="Offset"/>, at most <paramref name="MaxBytes"/>.</summary>
public sealed record PeerChunkRequest(string TransferId, long Offset, int MaxBytes) : IRouterProtocol;

/// <summary>Sender → receiver: payload bytes at <paramref name="Offset"/>.</summary>
public sealed record PeerChunk(string TransferId, long Offset, byte[] Data) : IRouterProtocol;

/// <summary>Receiver → sender: the message is durable (fsync'd) on the receiving node under <paramref name="QueueId"/>.</summary>
public sealed record PeerStored(string TransferId, string QueueId) : IRouterProtocol;

/// <summary>Receiver → sender: the transfer failed; the receiver holds nothing of it.</summary>
public sealed record PeerRefused(string TransferId, string Reason) : IRouterProtocol;
