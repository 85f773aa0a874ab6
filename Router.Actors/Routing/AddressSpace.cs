using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Router.Actors.Routing;

/// <summary>
/// One address space of a connector, written <c>pattern;cost</c> in configuration
/// (Exchange 2003 routing-group connector semantics). The pattern is normalised
/// (lower-case, no trailing dot, punycode) and is one of:
/// <list type="bullet">
/// <item><c>domain</c>: exactly that domain;</item>
/// <item><c>*.domain</c>: strict subdomains of it (<c>a.domain</c>, <c>b.a.domain</c>), not the domain itself;</item>
/// <item><c>*</c>: every domain, address literals such as <c>[192.0.2.1]</c> included.</item>
/// </list>
/// </summary>
/// <param name="Pattern">The normalised pattern.</param>
/// <param name="Cost">1 (preferred) to 100; among equally specific matches the lowest cost wins.</param>
public sealed record AddressSpace(string Pattern, int Cost)
{
    public const int MinCost = 1;
    public const int MaxCost = 100;
    public const string Everything = "*";

    private const string WildcardPrefix = "*.";

    /// <summary>
    /// How specific this pattern is: an exact domain beats any <c>*.suffix</c>, a longer suffix
    /// beats a shorter one, and <c>*</c> comes last. Larger is more specific.
    /// </summary>
    public int Specificity => Kind switch
    {
        AddressSpaceKind.Exact => int.MaxValue,
        AddressSpaceKind.Subdomains => Pattern.Length - WildcardPrefix.Length + 1,
        _ => 0,
    };

    public AddressSpaceKind Kind =>
        Pattern == Everything ? AddressSpaceKind.Everything
        : Pattern.StartsWith(WildcardPrefix, StringComparison.Ordinal) ? AddressSpaceKind.Subdomains
        : AddressSpaceKind.Exact;

    /// <summary>Whether this pattern matches a domain already normalised by <see cref="AddressSpaceTable.NormalizeDomain"/>.</summary>
    public bool Matches(string normalizedDomain) => Kind switch
    {
        AddressSpaceKind.Everything => true,
        AddressSpaceKind.Exact => string.Equals(Pattern, normalizedDomain, StringComparison.Ordinal),
        // "*.example.com" keeps its dot, so "badexample.com" cannot match and "example.com" is too short.
        _ => normalizedDomain.Length > Pattern.Length - 1
             && normalizedDomain.EndsWith(Pattern.AsSpan(1), StringComparison.Ordinal),
    };

    public override string ToString() => $"{Pattern};{Cost.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>pattern;cost</c>. On failure <paramref name="error"/> says what is wrong, for a config error line.</summary>
    public static bool TryParse(
        string? text,
        [NotNullWhen(true)] out AddressSpace? space,
        [NotNullWhen(false)] out string? error)
    {
        space = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an address space is empty; expected 'pattern;cost'";
            return false;
        }

        var separator = text.LastIndexOf(';');
        if (separator < 0)
        {
            error = $"'{text}' has no cost; expected 'pattern;cost' with cost {MinCost}-{MaxCost}";
            return false;
        }

        var costText = text[(separator + 1)..].Trim();
        if (!int.TryParse(costText, NumberStyles.None, CultureInfo.InvariantCulture, out var cost))
        {
            error = $"cost '{costText}' is not a whole number {MinCost}-{MaxCost}";
            return false;
        }

        if (cost is < MinCost or > MaxCost)
        {
            error = $"cost {cost} is out of range {MinCost}-{MaxCost}";
            return false;
        }

        if (!TryNormalizePattern(text[..separator], out var pattern, out error))
        {
            return false;
        }

        space = new AddressSpace(pattern, cost);
        return true;
    }

    /// <summary>Parses <c>pattern;cost</c> or throws <see cref="FormatException"/>; for tests and code-built tables.</summary>
    public static AddressSpace Parse(string text) =>
        TryParse(text, out var space, out var error) ? space : throw new FormatException(error);

    private static bool TryNormalizePattern(string raw, out string pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = string.Empty;
        var text = raw.Trim();
        if (text.Length == 0)
        {
            error = "the pattern is empty; expected 'domain', '*.domain' or '*'";
            return false;
        }

        if (text == Everything)
        {
            pattern = Everything;
            error = null;
            return true;
        }

        if (text.Any(char.IsWhiteSpace))
        {
            error = $"pattern '{text}' contains a space";
            return false;
        }

        var isWildcard = text.StartsWith(WildcardPrefix, StringComparison.Ordinal);
        var domain = isWildcard ? text[WildcardPrefix.Length..] : text;
        if (domain.Contains('*'))
        {
            error = $"pattern '{text}' has a '*' that is not a single leading '*.' label";
            return false;
        }

        if (isWildcard && domain.TrimEnd('.').Length == 0)
        {
            error = $"pattern '{text}' has no domain after '*.'; use '*' to match everything";
            return false;
        }

        if (DomainName.IsAddressLiteral(domain.TrimEnd('.')))
        {
            error = $"pattern '{text}' is an address literal; only '*' matches address literals";
            return false;
        }

        if (!DomainName.TryNormalize(domain, out var normalized, out var domainError))
        {
            error = $"pattern '{text}': {domainError}";
            return false;
        }

        pattern = isWildcard ? WildcardPrefix + normalized : normalized;
        error = null;
        return true;
    }
}
