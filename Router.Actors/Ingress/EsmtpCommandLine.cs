namespace Router.Actors.Ingress;

/// <summary>The two commands that carry a path and ESMTP parameters.</summary>
public enum EsmtpVerb
{
    Mail,
    Rcpt,
}

/// <summary>One ESMTP parameter as written: <c>KEYWORD</c> or <c>KEYWORD=value</c> (RFC 5321 §4.1.2).</summary>
/// <param name="Value">Null when the keyword stands alone; empty when "=" is followed by nothing.</param>
public sealed record EsmtpParameter(string Keyword, string? Value);

/// <summary>
/// A MAIL or RCPT command line as the client sent it (decoded as UTF-8): the path between the
/// angle brackets and the parameters after it, in order. The SMTP library parses these lines too,
/// but decodes domains as ASCII (a UTF-8 domain arrives as '?'), silently drops MAIL parameters it
/// cannot parse and every RCPT parameter; the router reads the exact text here.
/// </summary>
/// <param name="Path">Between the angle brackets, as sent (a source route included).</param>
public sealed record EsmtpCommandLine(EsmtpVerb Verb, string Path, IReadOnlyList<EsmtpParameter> Parameters)
{
    /// <summary>The mailbox of <see cref="Path"/>: a source route (<c>@a,@b:</c>) dropped, as the library does.</summary>
    public string Address
    {
        get
        {
            if (!Path.StartsWith('@'))
                return Path;
            var colon = Path.IndexOf(':');
            return colon < 0 ? Path : Path[(colon + 1)..];
        }
    }

    /// <summary>The line parsed, or null when it is not a MAIL FROM/RCPT TO with a path in angle brackets (the library's syntax reply stands).</summary>
    public static EsmtpCommandLine? Parse(string line)
    {
        EsmtpVerb verb;
        int at;
        if (StartsWithWord(line, "MAIL", out at) && Expect(line, ref at, "FROM:"))
            verb = EsmtpVerb.Mail;
        else if (StartsWithWord(line, "RCPT", out at) && Expect(line, ref at, "TO:"))
            verb = EsmtpVerb.Rcpt;
        else
            return null;
        while (at < line.Length && line[at] == ' ')
            at++;
        if (at >= line.Length || line[at] != '<')
            return null;
        var close = ClosingBracket(line, at + 1);
        if (close < 0)
            return null;
        var path = line[(at + 1)..close];
        var parameters = new List<EsmtpParameter>();
        foreach (var word in line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=');
            parameters.Add(equals < 0 ? new EsmtpParameter(word, null) : new EsmtpParameter(word[..equals], word[(equals + 1)..]));
        }
        return new EsmtpCommandLine(verb, path, parameters);
    }

    private static bool StartsWithWord(string line, string word, out int end)
    {
        end = word.Length;
        return line.Length > word.Length && line.StartsWith(word, StringComparison.OrdinalIgnoreCase) && line[word.Length] == ' ';
    }

    private static bool Expect(string line, ref int at, string text)
    {
        while (at < line.Length && line[at] == ' ')
            at++;
        if (string.Compare(line, at, text, 0, text.Length, StringComparison.OrdinalIgnoreCase) != 0)
            return false;
        at += text.Length;
        return true;
    }

    // A quoted local part may hold '>' (RFC 5321 §4.1.2 Quoted-string, with backslash pairs).
    private static int ClosingBracket(string line, int from)
    {
        var quoted = false;
        for (var i = from; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }
        return -1;
    }
}
