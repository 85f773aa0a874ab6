namespace Router.Messages.Cluster;

/// <summary>
/// Owner → shadow holder (<c>/user/shadow-keeper</c>): these messages left the owner's queue (delivered, bounced
/// or cancelled), so their shadow copies can go. Sent in batches; an id the holder does not have is ignored.
/// </summary>
/// <param name="Owner">The owner's unique address ("address#uid"), as in <see cref="PeerOffer.Owner"/>.</param>
/// <param name="QueueIds">The owner's queue ids.</param>
public sealed record ShadowDiscard(string Owner, IReadOnlyList<string> QueueIds) : IRouterProtocol;

/// <summary>
/// Owner → holder's shadow intake (<c>/user/shadow-intake</c>): the copies of several messages at once. While a batch is
/// on its way the owner gathers the next, so under load one remoting message, one store and one fsync on the holder
/// serve many copies; when it is quiet a batch holds one copy and goes at once. The holder answers
/// <see cref="ShadowBatchStored"/> once every copy in it is durable (or failed). Encoded in binary (no base64, no JSON
/// around the bytes): see <see cref="Serialization.ShadowBatchCodec"/>.
/// </summary>
/// <param name="Owner">The owner's unique address ("address#uid"), as in <see cref="PeerOffer.Owner"/>.</param>
/// <param name="BatchId">Unique per owner incarnation, chosen by the owner.</param>
public sealed record ShadowBatch(string Owner, long BatchId, IReadOnlyList<ShadowCopy> Copies) : IRouterProtocol;

/// <summary>One message in a <see cref="ShadowBatch"/>: its envelope as the transfer JSON, then its stored bytes.</summary>
/// <param name="QueueId">The message's queue id on the owner (the holder keeps it under that id).</param>
/// <param name="Envelope">The envelope's JSON (<see cref="Serialization.EnvelopeCodec"/>).</param>
/// <param name="Body">The stored body, byte for byte.</param>
public sealed record ShadowCopy(string QueueId, byte[] Envelope, byte[] Body)
{
    /// <summary>The owner's span of this copy (W3C traceparent); null when the message is not traced.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>Holder → owner: the copies of batch <paramref name="BatchId"/> are durable, except those in <paramref name="Failed"/>.</summary>
/// <param name="Failed">Queue ids the holder could not store; empty when all were.</param>
/// <param name="Error">Why they failed (one reason for all); null when none did.</param>
public sealed record ShadowBatchStored(long BatchId, IReadOnlyList<string> Failed, string? Error) : IRouterProtocol;
/// The receiver of a handover → the owner's shadow holder (<c>/user/shadow-keeper</c>): the owner handed these
/// recipients of its message to the receiver, which has it durable; retire them from the shadow copy (durably) so that
/// a promotion never delivers them too. Answered with <see cref="ShadowRetired"/>. Idempotent.
/// </summary>
/// <param name="Owner">The owner's unique address ("address#uid"), as in <see cref="PeerOffer.Owner"/>.</param>
/// <param name="QueueId">The owner's queue id.</param>
/// <param name="Recipients">Indexes in the owner's envelope.</param>
public sealed record ShadowRetire(string Owner, string QueueId, IReadOnlyList<int> Recipients) : IRouterProtocol;

/// <summary>
/// Holder → the asker of a <see cref="ShadowRetire"/>: the copy no longer holds those recipients (retired, or never
/// held), except <paramref name="Promoted"/>: recipients of it the holder had already promoted into its own queue
/// (the owner was lost first), which the holder delivers.
/// </summary>
/// <param name="Promoted">Indexes in the owner's envelope; empty in the usual case.</param>
public sealed record ShadowRetired(string Owner, string QueueId, IReadOnlyList<int> Promoted) : IRouterProtocol
{
    /// <summary>Why the holder could not retire the copy (it still holds it); null when it did.</summary>
    public string? Error { get; init; }
}

/// <summary>
/// Owner → holder's shadow intake (<c>/user/shadow-intake</c>), over remoting: where does this node take shadow copies
/// straight over TCP? Answered with <see cref="ShadowEndpoint"/>.
/// </summary>
public sealed record ShadowEndpointQuery : IRouterProtocol
{
    public static ShadowEndpointQuery Instance { get; } = new();
}

/// <summary>
/// Holder → owner: the TCP port this node takes shadow copies on (on the host of its remoting address), and the token a
/// connection must present first (so that only a cluster member, which learned it over remoting, can store copies).
/// </summary>
/// <param name="Port">0 when this node takes copies over remoting only (<c>router.shadow-port = off</c>).</param>
/// <param name="Token">Hex; random per incarnation; empty when <paramref name="Port"/> is 0.</param>
public sealed record ShadowEndpoint(int Port, string Token) : IRouterProtocol;
