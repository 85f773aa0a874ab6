using System.Buffers;
using System.Text;
using Router.Actors.Routing;

namespace Router.Actors.Ingress;

/// <summary>
/// SMTPUTF8 at the edge (RFC 6531): which addresses may be taken, and whether a message needs a
/// next hop that offers SMTPUTF8 too.
/// </summary>
public static class InternationalMail
{
    /// <summary>
    /// A non-ASCII address (RFC 6531 §3.3, RFC 6532 §3.2) the router can carry: a local part of
    /// UTF-8 text without control characters (an invalid UTF-8 sequence arrives as U+FFFD), and a
    /// domain that is an address literal or converts to A-labels (IDNA2008, RFC 5891), which is
    /// the form routing compares.
    /// </summary>
    public static bool IsValidAddress(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
            return false;
        foreach (var c in address)
        {
            if (char.IsControl(c) || c == '\uFFFD')
                return false;
        }
        return DomainName.TryNormalize(address[(at + 1)..], out _, out _);
    }

    /// <summary>
    /// True when a message received with SMTPUTF8 really is internationalised: a non-ASCII envelope
    /// address or a non-ASCII byte in its header section (RFC 6532). Only such a message needs a
    /// firewall that offers SMTPUTF8; an all-ASCII one goes anywhere, byte for byte the same.
    /// </summary>
    public static bool Needs(string sender, IEnumerable<string> recipients, in ReadOnlySequence<byte> message) =>
        !Ascii.IsValid(sender) || recipients.Any(r => !Ascii.IsValid(r)) || HeadersHaveNonAscii(message);

    /// <summary>Whether a byte above 127 comes before the blank line that ends the header section.</summary>
    public static bool HeadersHaveNonAscii(in ReadOnlySequence<byte> message)
    {
        var reader = new SequenceReader<byte>(message);
        var headers = reader.TryReadTo(out ReadOnlySequence<byte> section, "\r\n\r\n"u8, advancePastDelimiter: false) ? section : message;
        foreach (var segment in headers)
        {
            if (!Ascii.IsValid(segment.Span))
                return true;
        }
        return false;
    }
}
