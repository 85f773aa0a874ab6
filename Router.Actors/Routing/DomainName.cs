using System.Globalization;
using System.Text;

namespace Router.Actors.Routing;

/// <summary>
/// Normalises domain names to one comparable form: trimmed, no trailing dot, lower-case ASCII,
/// internationalised labels in punycode. Patterns and recipient domains go through the same code
/// so that <c>bücher.example</c>, <c>BÜCHER.example.</c> and <c>xn--bcher-kva.example</c> compare equal.
/// </summary>
internal static class DomainName
{
    /// <summary>RFC 1035 §2.3.4: a label is at most 63 octets.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>RFC 1035 §2.3.4 (255 octets on the wire) as a dotted text name.</summary>
    public const int MaxLength = 253;

    // IdnMapping is thread-safe for GetAscii once configured; one instance avoids an allocation per call.
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>True for an RFC 5321 address literal such as <c>[192.0.2.1]</c> or <c>[IPv6:2001:db8::1]</c>.</summary>
    public static bool IsAddressLiteral(string text) =>
        text.Length > 2 && text[0] == '[' && text[^1] == ']';

    /// <summary>
    /// Normalises a host name. Address literals are returned lower-cased and otherwise as given,
    /// because only the <c>*</c> address space can match them.
    /// </summary>
    public static bool TryNormalize(string? text, out string normalized, out string? error)
    {
        normalized = string.Empty;
        var name = text?.Trim() ?? string.Empty;
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.Length == 0)
        {
            error = "the domain is empty";
            return false;
        }

        if (IsAddressLiteral(name))
        {
            if (name.AsSpan(1, name.Length - 2).ContainsAny(" \t[]"))
            {
                error = $"'{name}' is not a valid address literal";
                return false;
            }

            normalized = name.ToLowerInvariant();
            error = null;
            return true;
        }

        // Lower-case before the IDN conversion: with invariant globalization IdnMapping does not
        // case-fold, so "BÜCHER" would otherwise become a different punycode label than "bücher".
        name = name.ToLowerInvariant();
        if (!Ascii.IsValid(name))
        {
            try
            {
                name = Idn.GetAscii(name.Normalize(NormalizationForm.FormC));
            }
            catch (ArgumentException)
            {
                error = $"'{text?.Trim()}' is not a valid internationalised domain name";
                return false;
            }
        }

        error = Validate(name);
        if (error is not null)
        {
            return false;
        }

        normalized = name;
        return true;
    }

    /// <summary>Checks an ASCII, lower-case name against the host name rules (RFC 1123 §2.1, RFC 5890).</summary>
    private static string? Validate(string name)
    {
        if (name.Length > MaxLength)
        {
            return $"the domain is {name.Length} characters long, more than {MaxLength}";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0)
            {
                return $"'{name}' has an empty label";
            }

            if (label.Length > MaxLabelLength)
            {
                return $"label '{label}' is {label.Length} characters long, more than {MaxLabelLength}";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"label '{label}' starts or ends with a hyphen";
            }

            foreach (var c in label)
            {
                if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                {
                    return c == '*'
                        ? $"'{name}' has a '*' that is not a leading '*.' label"
                        : $"'{name}' contains '{c}', which is not allowed in a host name";
                }
            }
        }

        return null;
    }
}
