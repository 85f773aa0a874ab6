using System.Text.RegularExpressions;

namespace Router.Actors.Ingress;

/// <summary>
/// Gives every reply line the SMTP library writes an RFC 3463 enhanced status code, as
/// ENHANCEDSTATUSCODES (RFC 2034) promises, and drops the library's ", N retry(ies) remaining."
/// suffix. Replies the router writes itself already carry their exact codes and pass unchanged.
/// </summary>
public static partial class EnhancedReplies
{
    /// <summary>
    /// Rewrites one reply line (without CRLF). <paramref name="continuation"/> is true for the
    /// lines of a multi-line reply (the EHLO reply), which carry extension keywords, not codes.
    /// </summary>
    public static string Polish(string line, bool continuation)
    {
        if (continuation || line.Length < 3 || !char.IsAsciiDigit(line[0]) || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2]))
            return line;
        if (line.Length > 3 && line[3] != ' ')
            return line;
        var code = int.Parse(line.AsSpan(0, 3), System.Globalization.CultureInfo.InvariantCulture);
        var text = line.Length > 4 ? RetrySuffix().Replace(line[4..], string.Empty) : string.Empty;
        // The greeting, AUTH challenges and the DATA go-ahead carry no enhanced code (RFC 2034 §3).
        if (code is 220 or 334 or 354 || code / 100 is not (2 or 4 or 5) || HasEnhancedCode().IsMatch(text))
            return $"{code} {text}".TrimEnd();
        return $"{code} {Enhanced(code)} {text}".TrimEnd();
    }

    private static string Enhanced(int code) => code switch
    {
        500 or 501 => "5.5.2",
        502 or 503 => "5.5.1",
        504 => "5.5.4",
        530 => "5.7.0",
        235 => "2.7.0",
        535 => "5.7.8",
        552 => "5.3.4",
        421 => "4.3.2",
        _ => $"{code / 100}.0.0",
    };

    [GeneratedRegex(@", \d+ retry\(ies\) remaining\.$")]
    private static partial Regex RetrySuffix();

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}( |$)")]
    private static partial Regex HasEnhancedCode();
}
