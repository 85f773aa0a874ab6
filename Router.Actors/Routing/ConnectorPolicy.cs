namespace Router.Actors.Routing;

/// <summary>Why a connector will not carry a message: the DSN status and text when no connector will.</summary>
public enum Restriction
{
    /// <summary>The message is larger than the connector's <c>max-message-size</c> (5.3.4).</summary>
    Size,

    /// <summary>The sender is not in its <c>senders</c>, or is in its <c>reject-senders</c> (5.7.1).</summary>
    Sender,
}

/// <summary>
/// What a connector block sets beyond its address spaces and firewalls (Exchange's delivery
/// restrictions, Postfix's sender-dependent relays): whether its mail may fall back to a less
/// specific address space, the largest message it carries and the senders it carries. Pure; the defaults are the reference configuration's <c>connector-defaults</c>.
/// </summary>
public sealed record ConnectorPolicy
{
    /// <summary>Pinned, no limits: what a connector without any of these keys gets in code-built tables.</summary>
    public static readonly ConnectorPolicy Default = new();

    /// <summary>
    /// <c>fallback</c>: when every connector of this connector's address-space pattern is down, its mail may go to
    /// a less specific pattern (e.g. <c>*</c>). Off: it waits for its own connectors. Default off.
    /// </summary>
    public bool Fallback { get; init; }

    /// <summary><c>max-message-size</c>: larger messages are not routed through this connector; null: no limit.</summary>
    public long? MaxMessageSize { get; init; }

    /// <summary><c>senders</c>: when not empty, only mail from these senders goes through this connector.</summary>
    public IReadOnlyList<SenderPattern> Senders { get; init; } = [];

    /// <summary><c>reject-senders</c>: mail from these senders never goes through this connector.</summary>
    public IReadOnlyList<SenderPattern> RejectSenders { get; init; } = [];

    /// <summary>
    /// <c>tls</c>: the least TLS the firewall sessions carrying this connector's mail must have (<c>required</c> or
    /// <c>verify</c>), over a weaker <c>tls</c> of the firewall itself. <c>off</c> (None, the default): each firewall's own.
    /// </summary>
    public Router.Messages.Delivery.RouteTls Tls { get; init; }

    /// <summary>True when this connector has restrictions that depend on the message.</summary>
    public bool Restricts => MaxMessageSize is not null || Senders.Count > 0 || RejectSenders.Count > 0;

    /// <summary>Null when the connector carries a message from <paramref name="sender"/> of <paramref name="size"/> bytes; else why not.</summary>
    public Restriction? Refuses(string sender, long size)
    {
        if (MaxMessageSize is { } max && size > max)
            return Restriction.Size;
        if (Senders.Count > 0 && !Senders.Any(p => p.Matches(sender)))
            return Restriction.Sender;
        if (RejectSenders.Any(p => p.Matches(sender)))
            return Restriction.Sender;
        return null;
    }
}
