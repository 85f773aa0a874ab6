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

    private const string Ellipsis = "...";

    /// <summary>
    /// Turns every run of control characters and white space (CR and LF above all, so a reply cannot
    /// start a header field or a MIME part of its own) into one space, trims, and caps the length.
    /// </summary>
    public static string Sanitise(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return string.Empty;

        var result = new StringBuilder(Math.Min(value.Length, MaxValueLength + Ellipsis.Length));
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

        if (result.Length <= MaxValueLength)
            return result.ToString();

        // Do not cut a surrogate pair in half: it would encode as U+FFFD.
        var cut = char.IsLowSurrogate(result[MaxValueLength]) ? MaxValueLength - 1 : MaxValueLength;
        return result.ToString(0, cut) + Ellipsis;
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
