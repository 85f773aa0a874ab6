using System.Text;

namespace Router.Actors.Delivery.Dsn;

/// <summary>
/// Makes text that is not ours (addresses, ENVID, the firewall's reply) safe to write into a header
/// field or a line of the report, and folds long fields.
/// </summary>
internal static class DsnField
{
    /// <summary>
    /// Longest value written, in characters. With a field name in front this stays under RFC 5322's
    /// 998-octet line limit even if a value has no space to fold at.
    /// </summary>
    public const int MaxValueLength = 900;

    /// <summary>RFC 5322 §2.1.1 recommends 78 characters a line.</summary>
    public const int LineWidth = 78;

    /// <summary>RFC 5321 §4.5.3.1.3: a path is at most 256 octets; longer is not an address anyway.</summary>
    private const int MaxPathLength = 256;

    private const string Ellipsis = "...";

    /// <summary>
    /// Turns every run of control characters and white space (CR and LF above all, so a reply cannot
    /// start a header field or a MIME part of its own) into one space, trims, and caps the length.
    /// </summary>
    public static string Sanitise(string? value, int maxLength = MaxValueLength)
    {
        if (string.IsNullOrEmpty(value))
            return string.Empty;

        var result = new StringBuilder(Math.Min(value.Length, maxLength + Ellipsis.Length));
        var pendingSpace = false;
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                pendingSpace = result.Length > 0;
                continue;
            }
            if (pendingSpace)
            {
                result.Append(' ');
                pendingSpace = false;
            }
            result.Append(c);
        }

        if (result.Length <= maxLength)
            return result.ToString();

        // Do not cut a surrogate pair in half: it would encode as U+FFFD.
        var cut = char.IsLowSurrogate(result[maxLength]) ? maxLength - 1 : maxLength;
        return result.ToString(0, cut) + Ellipsis;
    }

    /// <summary>
    /// An address in RFC 5322 form, safe inside angle brackets: a local part that is not a dot-atom is
    /// written as a quoted string, so spaces, brackets, commas or colons in it cannot turn one address
    /// into several (or into a group) for whoever parses the header; the domain keeps only the
    /// characters a domain or address literal can have.
    /// </summary>
    public static string Address(string? value)
    {
        var clean = Sanitise(value, MaxPathLength);
        var at = clean.LastIndexOf('@');
        var local = at < 0 ? clean : clean[..at];
        if (!IsDotAtom(local))
            local = Quote(local);
        if (at < 0)
            return local;

        var domain = new StringBuilder();
        foreach (var c in clean.AsSpan(at + 1))
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '.' or '[' or ']' or ':' || c > 0x7F)
                domain.Append(c);
        }
        return local + "@" + domain;
    }

    private static bool IsDotAtom(string local)
    {
        if (local.Length == 0 || local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
            return false;
        foreach (var c in local)
        {
            // RFC 5322 atext, plus UTF-8 (RFC 6532) for SMTPUTF8 mail.
            if (!(char.IsAsciiLetterOrDigit(c) || c > 0x7F || c == '.' || "!#$%&'*+-/=?^_`{|}~".Contains(c)))
                return false;
        }
        return true;
    }

    private static string Quote(string local)
    {
        // An already quoted local part is unquoted first so that it is not quoted twice.
        if (local.Length >= 2 && local[0] == '"' && local[^1] == '"')
        {
            var inner = new StringBuilder();
            for (var i = 1; i < local.Length - 1; i++)
            {
                if (local[i] == '\\' && i + 1 < local.Length - 1)
                    i++;
                inner.Append(local[i]);
            }
            local = inner.ToString();
        }
        return "\"" + local.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>
    /// Writes "Name: value" CRLF, folding at spaces so that lines keep to <see cref="LineWidth"/>
    /// where the value allows. <paramref name="value"/> must already be sanitised.
    /// </summary>
    public static void AppendField(StringBuilder output, string name, string value)
    {
        AppendWrapped(output, name + ":", value, " ");
    }

    /// <summary>
    /// Appends <paramref name="first"/> and the words of <paramref name="text"/> after it, breaking
    /// lines at spaces; every further line starts with <paramref name="indent"/>.
    /// </summary>
    public static void AppendWrapped(StringBuilder output, string first, string text, string indent)
    {
        var line = new StringBuilder(first);
        var lineHasWord = false;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lineHasWord && line.Length + 1 + word.Length > LineWidth)
            {
                output.Append(line).Append("\r\n");
                line.Clear().Append(indent).Append(word);
                continue;
            }
            if (line.Length > 0)
                line.Append(' ');
            line.Append(word);
            lineHasWord = true;
        }
        output.Append(line).Append("\r\n");
    }
}
