namespace Router.Messages.Delivery;

/// <summary>One recipient that will not be delivered, and why, for the bounce (DSN) to its sender.</summary>
/// <param name="RecipientIndex">Index into the envelope's recipients.</param>
/// <param name="Status">RFC 3463 status, e.g. "5.1.1" from the firewall's reply or "4.4.7" on expiry.</param>
/// <param name="Diagnostic">The remote server's reply, or the router's own reason.</param>
/// <param name="RemoteMta">The firewall that answered, if one did.</param>
public sealed record FailedRecipient(int RecipientIndex, string Status, string Diagnostic, string? RemoteMta) : IRouterProtocol
{
    /// <summary>The connector whose firewall answered, if one did (metrics and the tracking log).</summary>
    public string? Connector { get; init; }
}

/// <summary>
/// Recipients of one message that failed for good: the bounce actor tells the sender (unless the
/// sender is the null sender) and only then journals them as failed, so a crash in between can
/// at worst send the bounce twice, never lose it.
/// </summary>
/// <summary>
/// Recipients still being retried past <c>delay-notice-after</c>: the sender is told once (a DSN with
/// Action: delayed) if it asked for delay notices. Nothing is journaled; delivery goes on.
/// </summary>
public sealed record RecipientsDelayed(string QueueId, IReadOnlyList<FailedRecipient> Recipients, DateTimeOffset WillRetryUntil) : IRouterProtocol;

public sealed record RecipientsFailed(string QueueId, IReadOnlyList<FailedRecipient> Recipients) : IRouterProtocol
{
    /// <summary>False when an operator deleted the message without a bounce: the recipients are only cancelled.</summary>
    public bool Bounce { get; init; } = true;

    /// <summary>Every recipient still pending, whatever <see cref="Recipients"/> lists (an operator deleted the message).</summary>
    public FailedRecipient? AllPending { get; init; }
}

/// <summary>Connector → outcome actor: a firewall accepted these recipients of one message (indexes into its envelope); they are journaled as delivered.</summary>
public sealed record RecipientsDelivered(string QueueId, IReadOnlyList<int> Recipients) : IRouterProtocol;
