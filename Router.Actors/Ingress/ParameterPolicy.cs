using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// Strict MAIL and RCPT parameters: each must belong to an extension the session's EHLO reply
/// offers (<see cref="EsmtpOffer"/>) and be well formed, otherwise the command is refused with
/// <see cref="ParameterReplies"/> and does not run. Accepting a parameter silently would promise
/// what the router does not do (BODY=BINARYMIME, REQUIRETLS where it cannot be honoured).
/// </summary>
public static class ParameterPolicy
{
    /// <summary>RFC 1870 §3: size-value is 1*20DIGIT.</summary>
    private const int MaxSizeDigits = 20;

    /// <summary>RFC 3461 §4.4: ENVID is at most 100 characters.</summary>
    private const int MaxEnvelopeIdLength = 100;

    /// <summary>RFC 3461 §4.2: ORCPT is at most 500 characters.</summary>
    private const int MaxOriginalRecipientLength = 500;

    /// <summary>The refusal of <paramref name="command"/>'s parameters, or null when every one is offered and well formed.</summary>
    public static SmtpResponse? Check(EsmtpCommandLine command, EsmtpOffer offer)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in command.Parameters)
        {
            if (!IsKeyword(parameter.Keyword))
                return ParameterReplies.BadKeyword(parameter.Keyword);
            if (!seen.Add(parameter.Keyword))
                return ParameterReplies.Repeated(parameter.Keyword);
            var refusal = command.Verb == EsmtpVerb.Mail ? CheckMail(parameter, offer) : CheckRcpt(parameter);
            if (refusal is not null)
                return refusal;
        }
        return null;
    }

    private static SmtpResponse? CheckMail(EsmtpParameter parameter, EsmtpOffer offer)
    {
        var (keyword, value) = (parameter.Keyword.ToUpperInvariant(), parameter.Value);
        switch (keyword)
        {
            case "SIZE":
                // RFC 1870 §3 and §6.2: 1*20DIGIT; a size over the limit is refused at once, before any data.
                if (value is null || value.Length is 0 or > MaxSizeDigits || !value.All(char.IsAsciiDigit))
                    return ParameterReplies.Malformed(keyword, "expected SIZE=<number of octets>");
                var size = value.TrimStart('0');
                return size.Length > 18 || long.Parse(size.Length == 0 ? "0" : size, System.Globalization.CultureInfo.InvariantCulture) > offer.MaxMessageSize
                    ? SmtpReplies.MessageTooBig(offer.MaxMessageSize)
                    : null;
            case "BODY":
                // RFC 6152 §3 (8BITMIME, offered): 7BIT or 8BITMIME. BINARYMIME (RFC 3030 §3) is not offered.
                if (value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase)))
                    return null;
                return value is not null && value.Equals("BINARYMIME", StringComparison.OrdinalIgnoreCase)
                    ? ParameterReplies.BinaryMimeNotOffered
                    : ParameterReplies.Malformed(keyword, "expected BODY=7BIT or BODY=8BITMIME");
            case "RET":
                // RFC 3461 §4.3.
                return value is not null && (value.Equals("FULL", StringComparison.OrdinalIgnoreCase) || value.Equals("HDRS", StringComparison.OrdinalIgnoreCase))
                    ? null
                    : ParameterReplies.Malformed(keyword, "expected RET=FULL or RET=HDRS");
            case "ENVID":
                // RFC 3461 §4.4: xtext, at most 100 characters.
                return value is not null && IsXtext(value) && value.Length <= MaxEnvelopeIdLength
                    ? null
                    : ParameterReplies.Malformed(keyword, $"expected ENVID=<xtext of at most {MaxEnvelopeIdLength} characters>");
            case "SMTPUTF8":
                // RFC 6531 §3.4: a keyword without a value.
                return value is null ? null : ParameterReplies.Malformed(keyword, "SMTPUTF8 takes no value");
            case "AUTH":
                // RFC 4954 §5: AUTH=<> or AUTH=<xtext mailbox>, known only where AUTH is offered.
                if (!offer.Auth)
                    return ParameterReplies.NotOffered(keyword);
                return value is not null && (value == "<>" || (value.Length > 0 && IsXtext(value)))
                    ? null
                    : ParameterReplies.Malformed(keyword, "expected AUTH=<> or AUTH=<xtext mailbox>");
            case "REQUIRETLS":
                // RFC 8689: a keyword without a value, offered where STARTTLS is, and taken on a TLS session only.
                if (!offer.RequireTls)
                    return ParameterReplies.NotOffered(keyword);
                if (value is not null)
                    return ParameterReplies.Malformed(keyword, "REQUIRETLS takes no value");
                return offer.Secure ? null : ParameterReplies.RequireTlsNeedsTls;
            default:
                // MT-PRIORITY, FOO=BAR...: nothing the EHLO reply offers.
                return ParameterReplies.NotOffered(keyword);
        }
    }

    private static SmtpResponse? CheckRcpt(EsmtpParameter parameter)
    {
        var (keyword, value) = (parameter.Keyword.ToUpperInvariant(), parameter.Value);
        switch (keyword)
        {
            case "NOTIFY":
                // RFC 3461 §4.1: NEVER alone, or one or more of SUCCESS, FAILURE, DELAY, each once.
                return value is not null && IsNotify(value) ? null : ParameterReplies.Malformed(keyword, "expected NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY");
            case "ORCPT":
                // RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters.
                return value is not null && IsOriginalRecipient(value) && value.Length <= MaxOriginalRecipientLength
                    ? null
                    : ParameterReplies.Malformed(keyword, "expected ORCPT=<address type>;<xtext address>");
            default:
                return ParameterReplies.NotOffered(keyword);
        }
    }

    /// <summary>RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").</summary>
    private static bool IsKeyword(string keyword) =>
        keyword.Length > 0 && char.IsAsciiLetterOrDigit(keyword[0]) && keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsNotify(string value)
    {
        if (value.Equals("NEVER", StringComparison.OrdinalIgnoreCase))
            return true;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in value.Split(','))
        {
            if (!(part.Equals("SUCCESS", StringComparison.OrdinalIgnoreCase) || part.Equals("FAILURE", StringComparison.OrdinalIgnoreCase)
                || part.Equals("DELAY", StringComparison.OrdinalIgnoreCase)) || !seen.Add(part))
                return false;
        }
        return true;
    }

    private static bool IsOriginalRecipient(string value)
    {
        var semicolon = value.IndexOf(';');
        if (semicolon <= 0 || semicolon == value.Length - 1)
            return false;
        var type = value.AsSpan(0, semicolon);
        foreach (var c in type)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                return false;
        }
        return IsXtext(value[(semicolon + 1)..]);
    }

    /// <summary>RFC 3461 §4: xtext is printable ASCII but "+" and "=", with "+XX" (two hex digits) for any other octet.</summary>
    public static bool IsXtext(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '+')
            {
                if (i + 2 >= value.Length || !char.IsAsciiHexDigit(value[i + 1]) || !char.IsAsciiHexDigit(value[i + 2]))
                    return false;
                i += 2;
            }
            else if (c is < '!' or > '~' or '=')
                return false;
        }
        return true;
    }
}
