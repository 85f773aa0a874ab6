namespace Router.Messages.Delivery;

/// <summary>The outcome of one attempt to deliver a <see cref="DeliveryJob"/> through one firewall.</summary>
/// <param name="Outcome">Classification of the attempt as a whole.</param>
/// <param name="Recipients">Per-recipient results; every recipient of the job appears once.</param>
/// <param name="Detail">Short human-readable reason (the firewall's reply or the local error).</param>
/// <param name="DataSent">True when the final dot was sent, so the firewall may have the message
/// even if no reply came back (a duplicate is then possible on retry).</param>
public sealed record DeliveryResult(
    AttemptOutcome Outcome,
    IReadOnlyList<RecipientResult> Recipients,
    string Detail,
    bool DataSent) : IRouterProtocol
{
    /// <summary>
    /// The attempt was given up because a wait before any data was sent (connect, greeting, EHLO, STARTTLS,
    /// AUTH, MAIL, RCPT) ran far past the firewall's own latency history, well before the fixed timeout: the
    /// job is placed elsewhere at once (no duplicate is possible) and the firewall is suspect (issue 18).
    /// </summary>
    public bool Hedged { get; init; }

    /// <summary>
    /// A <see cref="Hedged"/> wait that was judged against the node's other firewalls, because this firewall had too
    /// little history of that step of its own: it says the firewall is slower than the others, not that it is broken.
    /// </summary>
    public bool HedgedCold { get; init; }

    /// <summary>Every recipient gets the same code: used for failures before or at MAIL/DATA.</summary>
    public static DeliveryResult ForAll(DeliveryJob job, AttemptOutcome outcome, int code, string detail, bool dataSent = false) =>
        new(outcome, job.RecipientIndexes.Select(i => new RecipientResult(i, code, detail)).ToArray(), detail, dataSent);
}
