using System.Text.Json.Serialization;

namespace Router.Messages;

/// <summary>
/// The SMTP envelope of one accepted message, as the client gave it. Recipients are kept in the
/// order received; a recipient is addressed everywhere by its index in <see cref="Recipients"/>.
/// </summary>
/// <param name="Sender">Reverse-path without angle brackets; empty for the null sender &lt;&gt;.</param>
/// <param name="Recipients">Forward-paths without angle brackets.</param>
/// <param name="ReceivedAt">When the router answered 250.</param>
/// <param name="ClientAddress">The connecting client's IP address, for logs and tracking.</param>
/// <param name="ClientHelo">The EHLO/HELO name the client gave.</param>
public sealed record Envelope(
    string Sender,
    IReadOnlyList<string> Recipients,
    DateTimeOffset ReceivedAt,
    string ClientAddress,
    string ClientHelo) : IRouterProtocol
{
    /// <summary>ENVID of the ESMTP DSN extension (RFC 3461 §4.4), decoded, if the client gave one.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>RET of the DSN extension: "FULL" or "HDRS", if the client gave one.</summary>
    public string? Return { get; init; }

    /// <summary>NOTIFY and ORCPT per recipient, in the order of <see cref="Recipients"/>; null when the client gave none.</summary>
    public IReadOnlyList<RecipientNotify>? RecipientOptions { get; init; }

    /// <summary>
    /// Received with SMTPUTF8 (RFC 6531) and internationalised: a UTF-8 envelope address or header.
    /// Such a message goes only to a firewall that offers SMTPUTF8; elsewhere its recipients fail
    /// with 5.6.7. Absent in spools written before it existed: false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Smtputf8 { get; init; }

    /// <summary>
    /// The content has 8-bit bytes (RFC 6152): it goes only to a firewall that offers 8BITMIME, never
    /// converted; elsewhere its recipients fail with 5.6.3. Absent in older spools: false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool EightBit { get; init; }

    /// <summary>
    /// Received with REQUIRETLS (RFC 8689) over TLS: delivered only over TLS with a verified certificate
    /// to a firewall that offers REQUIRETLS, which is passed on; elsewhere its recipients fail with
    /// 5.7.30. Absent in older spools: false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool RequireTls { get; init; }

    /// <summary>Times the message moved from node to node (spill-over, drain): bounds ping-pong between nodes. 0 for mail accepted here.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Handovers { get; init; }

    /// <summary>
    /// The message's trace (W3C traceparent, OpenTelemetry): set at acceptance when the message is traced, so that
    /// every later span of it (routing, attempts after a restart, a handover) joins the one trace. Null when the
    /// message is not traced (tracing off or not sampled) and in spools written before it existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    /// <summary>The envelope of some of the recipients only (a part handed to another node), DSN options aligned.</summary>
    public Envelope Narrow(IReadOnlyList<int> recipientIndexes) => this with
    {
        Recipients = recipientIndexes.Select(i => Recipients[i]).ToArray(),
        RecipientOptions = RecipientOptions is null ? null : recipientIndexes.Select(i => RecipientOptions[i]).ToArray(),
    };
}

/// <summary>The DSN parameters of one RCPT (RFC 3461 §4.1, §4.2).</summary>
/// <param name="Notify">NEVER, or a comma list of SUCCESS, FAILURE, DELAY; null when not given (failures are reported).</param>
/// <param name="OriginalRecipient">ORCPT, decoded, as "type;address".</param>
public sealed record RecipientNotify(string? Notify, string? OriginalRecipient)
{
    /// <summary>Whether a failure of this recipient is reported to the sender.</summary>
    [JsonIgnore]
    public bool WantsFailure => Notify is null || Notify.Contains("FAILURE", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a delay notice may go to the sender: asked for, or not ruled out when NOTIFY was not given.</summary>
    [JsonIgnore]
    public bool WantsDelay => Notify is null || Notify.Contains("DELAY", StringComparison.OrdinalIgnoreCase);
}
