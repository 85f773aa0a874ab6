namespace Router.Messages.Cluster;

/// <summary>
/// Owner → shadow holder (<c>/user/shadow-keeper</c>): these messages left the owner's queue (delivered, bounced
/// or cancelled), so their shadow copies can go. Sent in batches; an id the holder does not have is ignored.
/// </summary>
/// <param name="Owner">The owner's unique address ("address#uid"), as in <see cref="PeerOffer.Owner"/>.</param>
/// <param name="QueueIds">The owner's queue ids.</param>
public sealed record ShadowDiscard(string Owner, IReadOnlyList<string> QueueIds) : IRouterProtocol;

/// <summary>
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
