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
    /// <summary>The "with" keyword of RFC 3848: ESMTP, ESMTPS (TLS), ESMTPA (AUTH) or ESMTPSA (both).</summary>
    public static string Protocol(bool tls, bool authenticated) =>
        "ESMTP" + (tls ? "S" : string.Empty) + (authenticated ? "A" : string.Empty);

    public static byte[] Build(string clientHelo, IPAddress? client, string hostname, string queueId, string? singleRecipient, DateTimeOffset at,
        string protocol = "ESMTP")
    {
        var helo = Sanitize(clientHelo.Length > 0 ? clientHelo : "unknown");
        var address = client?.ToString() ?? "unknown";
        var line = new StringBuilder(256)
            .Append("Received: from ").Append(helo).Append(" ([").Append(address).Append("])\r\n")
            .Append("\tby ").Append(hostname).Append(" (Router) with ").Append(protocol).Append(" id ").Append(queueId);
        if (singleRecipient is not null)
            line.Append("\r\n\tfor <").Append(Sanitize(singleRecipient)).Append('>');
        line.Append("; ").Append(at.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(at.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal))
            .Append("\r\n");
        return Encoding.ASCII.GetBytes(line.ToString());
    }

    // Client-supplied text must not break the header: no control characters, no non-ASCII.
    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(c is >= '!' and <= '~' ? c : '?');
        return builder.ToString();
    }
}
