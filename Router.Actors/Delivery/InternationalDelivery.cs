using System.Text;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// RFC 6531 §3.2: an internationalised message (a UTF-8 address or header) is never handed to a
/// server that does not offer SMTPUTF8, and never downgraded. When no firewall of its route offers
/// SMTPUTF8 its recipients fail permanently, so the bounce path sends the sender a DSN: 5.6.7 when
/// an envelope address is non-ASCII ("non-ASCII addresses not permitted for that
/// sender/recipient"), 5.6.9 when only headers are ("UTF-8 header message cannot be transferred to
/// one or more recipients"), RFC 6531 §3.7.5 and RFC 6531 §4.
/// </summary>
public static class InternationalDelivery
{
    /// <summary>RFC 5321 §4.2.2: "Requested action not taken: mailbox name not allowed".</summary>
    public const int MailboxNameNotAllowed = 553;

    public const string NonAsciiAddressStatus = "5.6.7";

    public const string Utf8HeaderStatus = "5.6.9";

    /// <summary>The RFC 3463 status for a message of <paramref name="sender"/> to <paramref name="recipients"/> that cannot go on without SMTPUTF8.</summary>
    public static string StatusOf(string sender, IEnumerable<string> recipients) =>
        !Ascii.IsValid(sender) || recipients.Any(r => !Ascii.IsValid(r)) ? NonAsciiAddressStatus : Utf8HeaderStatus;
}
