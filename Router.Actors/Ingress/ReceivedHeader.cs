using System.Globalization;
using System.Net;
using System.Text;

namespace Router.Actors.Ingress;

/// <summary>
/// The one header the router adds to every message it relays (RFC 5321 §4.4). Everything else is
/// forwarded byte for byte, so a DKIM signature over the original headers still verifies.
/// </summary>
public static class ReceivedHeader
{
    /// <summary>
    /// The "with" keyword of RFC 3848: ESMTP, ESMTPS (TLS), ESMTPA (AUTH) or ESMTPSA (both); with
    /// SMTPUTF8, RFC 6531 §3.7.3's UTF8SMTP, UTF8SMTPS, UTF8SMTPA or UTF8SMTPSA.
    /// </summary>
    public static string Protocol(bool tls, bool authenticated, bool smtputf8 = false) =>
        (smtputf8 ? "UTF8SMTP" : "ESMTP") + (tls ? "S" : string.Empty) + (authenticated ? "A" : string.Empty);

    /// <param name="utf8">The message is internationalised (RFC 6532): the "for" address may stay UTF-8.</param>
    public static byte[] Build(string clientHelo, IPAddress? client, string hostname, string queueId, string? singleRecipient, DateTimeOffset at,
        string protocol = "ESMTP", bool utf8 = false)
    {
        var helo = Sanitize(clientHelo.Length > 0 ? clientHelo : "unknown");
        var address = client?.ToString() ?? "unknown";
        var line = new StringBuilder(256)
            .Append("Received: from ").Append(helo).Append(" ([").Append(address).Append("])\r\n")
            .Append("\tby ").Append(hostname).Append(" (Router) with ").Append(protocol).Append(" id ").Append(queueId);
        if (singleRecipient is not null)
            line.Append("\r\n\tfor <").Append(Sanitize(singleRecipient, utf8)).Append('>');
        line.Append("; ").Append(at.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(at.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal))
            .Append("\r\n");
        return utf8 ? Encoding.UTF8.GetBytes(line.ToString()) : Encoding.ASCII.GetBytes(line.ToString());
    }

    // Client-supplied text must not break the header: no control characters, no non-ASCII unless the message is UTF-8 already.
    private static string Sanitize(string text, bool utf8 = false)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(c is >= '!' and <= '~' || (utf8 && c > '\u007f' && !char.IsControl(c) && !char.IsWhiteSpace(c)) ? c : '?');
        return builder.ToString();
    }
}
