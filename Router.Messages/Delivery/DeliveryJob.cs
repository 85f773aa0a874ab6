using System.Text.Json.Serialization;

namespace Router.Messages.Delivery;

/// <summary>
/// One part of a spooled message: the recipients of one message that share a route, delivered in
/// one SMTP transaction. The body stays in the spool; only this reference travels between actors.
/// </summary>
/// <param name="QueueId">The spool's id of the message.</param>
/// <param name="Sender">Envelope reverse-path (empty for the null sender).</param>
/// <param name="RecipientIndexes">Indexes into the envelope's recipients that this part carries.</param>
/// <param name="Recipients">The addresses at those indexes, same order.</param>
/// <param name="Length">Stored length of the message in bytes (our Received header included).</param>
/// <param name="RouteKey">Identity of the ordered tier list the recipients resolved to.</param>
/// <param name="Attempts">Delivery attempts made so far for this part.</param>
public sealed record DeliveryJob(
    string QueueId,
    string Sender,
    IReadOnlyList<int> RecipientIndexes,
    IReadOnlyList<string> Recipients,
    long Length,
    string RouteKey,
    int Attempts) : IRouterProtocol
{
    /// <summary>
    /// The connector whose firewall last deferred this job. The retry goes elsewhere in the same
    /// tier when it can: a firewall that refuses every message answers fast, and "least backlog"
    /// alone would keep choosing it.
    /// </summary>
    public string? AvoidConnector { get; init; }

    /// <summary>The firewall that last failed this job; its connector sends it to another firewall when it has one.</summary>
    public string? AvoidFirewall { get; init; }

    /// <summary>
    /// Attempts in a row that ended in a firewall-level fault (dropped connection, timeout). A job
    /// that keeps failing wherever it goes is the common factor, not the firewalls.
    /// </summary>
    public int FirewallFaults { get; init; }

    /// <summary>When the message was accepted: the retry schedule's expiry counts from here.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Times a firewall deferred this part (4xx): the position in the retry schedule.</summary>
    public int Deferrals { get; init; }

    /// <summary>A delay notice has gone to the sender for this part (once is enough).</summary>
    public bool DelayNoticeSent { get; init; }

    /// <summary>The same job narrowed to the recipients at the given positions of this job.</summary>
    public DeliveryJob Narrow(IReadOnlyList<int> positions) => this with
    {
        RecipientIndexes = positions.Select(p => RecipientIndexes[p]).ToArray(),
        Recipients = positions.Select(p => Recipients[p]).ToArray(),
        Notify = Notify is null ? null : positions.Select(p => Notify[p]).ToArray(),
    };

    /// <summary>The client's NOTIFY per recipient of this job (same order), to pass on to a firewall that offers DSN; null when none was given.</summary>
    public IReadOnlyList<string?>? Notify { get; init; }

    /// <summary>The client's ENVID, passed on to a firewall that offers DSN.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>The client's RET (FULL or HDRS), passed on likewise.</summary>
    public string? Return { get; init; }

    /// <summary>The message needs a firewall that offers SMTPUTF8 (its envelope's <see cref="Envelope.Smtputf8"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Smtputf8 { get; init; }

    /// <summary>The content has 8-bit bytes: it needs a firewall that offers 8BITMIME (its envelope's <see cref="Envelope.EightBit"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool EightBit { get; init; }

    /// <summary>The sender asked for REQUIRETLS (its envelope's <see cref="Envelope.RequireTls"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool RequireTls { get; init; }

    /// <summary>The extensions a firewall must offer to take this job.</summary>
    [JsonIgnore]
    public MailExtensions Needs =>
        (Smtputf8 ? MailExtensions.Smtputf8 : MailExtensions.None)
        | (EightBit ? MailExtensions.EightBitMime : MailExtensions.None)
        | (RequireTls ? MailExtensions.RequireTls : MailExtensions.None);

    /// <summary>The TLS its connector demands (<c>tls</c> in the connector block), set when the part is placed on it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public RouteTls Tls { get; init; }

    /// <summary>Times the message came to this node from another one (its envelope's Handovers): bounds spill-over ping-pong.</summary>
    public int Handovers { get; init; }

    /// <summary>The message's trace (its envelope's <see cref="Envelope.TraceParent"/>): the parent of this part's spans; null when not traced.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    public override string ToString() => $"{QueueId}[{string.Join(',', RecipientIndexes)}]";
}
