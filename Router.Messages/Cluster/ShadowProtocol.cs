namespace Router.Messages.Cluster;

/// <summary>
/// Owner → shadow holder (<c>/user/shadow-keeper</c>): these messages left the owner's queue (delivered, bounced
/// or cancelled), so their shadow copies can go. Sent in batches; an id the holder does not have is ignored.
/// </summary>
/// <param name="Owner">The owner's unique address ("address#uid"), as in <see cref="PeerOffer.Owner"/>.</param>
/// <param name="QueueIds">The owner's queue ids.</param>
public sealed record ShadowDiscard(string Owner, IReadOnlyList<string> QueueIds) : IRouterProtocol;
