using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// What a message needs of the firewall it goes to, and what a firewall offers: SMTPUTF8 (RFC 6531),
/// 8BITMIME (RFC 6152) and REQUIRETLS (RFC 8689). A message is never downgraded or converted: where no
/// usable firewall of its route offers what it needs, its recipients fail with the RFC's enhanced code
/// and the sender gets a DSN. Pure: the routing and delivery code ask it.
/// </summary>
public static class ExtensionRequirements
{
    /// <summary>RFC 3463 §3.7: "Conversion required but not supported": an 8-bit message for a 7-bit path (RFC 6152 §3).</summary>
    public const string EightBitStatus = "5.6.3";

    /// <summary>RFC 8689: "REQUIRETLS support required".</summary>
    public const string RequireTlsStatus = "5.7.30";

    /// <summary>RFC 5321 §4.2.3: "Transaction failed".</summary>
    private const int TransactionFailed = 554;

    /// <summary>RFC 5321 §4.2.3: "Requested action not taken: mailbox unavailable" (RFC 8689 pairs 5.7.30 with 550).</summary>
    private const int ActionNotTaken = 550;

    /// <summary>
    /// The extensions a firewall's EHLO offered, as far as messages need them. REQUIRETLS counts only on a
    /// session whose certificate was verified (<paramref name="verifiedTls"/>: <c>tls = verify</c>), as RFC 8689 asks of a sender.
    /// </summary>
    public static MailExtensions Offered(FirewallCapabilities capabilities, bool verifiedTls) =>
        (capabilities.Smtputf8 ? MailExtensions.Smtputf8 : MailExtensions.None)
        | (capabilities.EightBitMime ? MailExtensions.EightBitMime : MailExtensions.None)
        | (capabilities.RequireTls && verifiedTls ? MailExtensions.RequireTls : MailExtensions.None);

    /// <summary>
    /// Null when <paramref name="job"/> may go to a firewall that offers <paramref name="offered"/>; otherwise the
    /// result that sends it back to be placed on one that does (nothing was sent to the firewall).
    /// </summary>
    public static DeliveryResult? Refuse(DeliveryJob job, MailExtensions offered, string firewall)
    {
        var missing = job.Needs & ~offered;
        return missing == MailExtensions.None
            ? null
            : DeliveryResult.ForAll(job, AttemptOutcome.ExtensionNotOffered, 0, $"{firewall} does not offer {Keyword(First(missing))}");
    }

    /// <summary>
    /// The permanent failure of <paramref name="job"/> when none of <paramref name="lacking"/> (the usable firewalls of its
    /// route, none of which offers all it needs) can take it: the reply code, the RFC 3463 status and the text of the DSN.
    /// </summary>
    /// <param name="missing">What no usable firewall offers along with the rest of what the job needs.</param>
    public static (int Code, string Status, string Diagnostic) Failure(DeliveryJob job, MailExtensions missing, IReadOnlyCollection<string> lacking)
    {
        var extension = First(missing);
        var (code, status, why) = extension switch
        {
            MailExtensions.RequireTls => (ActionNotTaken, RequireTlsStatus,
                "the sender asked for REQUIRETLS: the message goes only over TLS with a verified certificate to a server that offers REQUIRETLS (RFC 8689)"),
            MailExtensions.Smtputf8 => (InternationalDelivery.MailboxNameNotAllowed, InternationalDelivery.StatusOf(job.Sender, job.Recipients),
                "an internationalised message is not downgraded (RFC 6531)"),
            _ => (TransactionFailed, EightBitStatus, "an 8-bit message is not converted to 7 bits (RFC 6152)"),
        };
        var who = lacking.Count == 0
            ? $"no usable firewall offers {Keyword(extension)}"
            : string.Join(", ", lacking.Select(f => $"{f} does not offer {Keyword(extension)}"));
        return (code, status, $"{code} {status} {who}; {why}");
    }

    /// <summary>The one extension a failure names: REQUIRETLS first (the sender's security request), then SMTPUTF8, then 8BITMIME.</summary>
    public static MailExtensions First(MailExtensions missing) =>
        missing.HasFlag(MailExtensions.RequireTls) ? MailExtensions.RequireTls
        : missing.HasFlag(MailExtensions.Smtputf8) ? MailExtensions.Smtputf8
        : missing.HasFlag(MailExtensions.EightBitMime) ? MailExtensions.EightBitMime
        : MailExtensions.None;

    /// <summary>The EHLO keyword of one extension.</summary>
    public static string Keyword(MailExtensions extension) => extension switch
    {
        MailExtensions.Smtputf8 => "SMTPUTF8",
        MailExtensions.EightBitMime => "8BITMIME",
        MailExtensions.RequireTls => "REQUIRETLS",
        _ => extension.ToString(),
    };
}
