using System.Collections.Concurrent;

namespace Router.Actors.Routing;

/// <summary>
/// Maps a recipient domain to the tiers of connectors that can carry mail for it, best first
/// (Exchange 2003 routing-group connector semantics): the most specific matching address space
/// wins (exact domain, then <c>*.suffix</c> with the longest suffix first, then <c>*</c>), and among
/// equally specific ones the lowest cost. Connectors that match with the same pattern and cost form
/// one tier and share the load; the later tiers are the fallback when a whole tier is down.
/// Immutable and thread-safe; results are cached because this is asked once per recipient.
/// </summary>
public sealed class AddressSpaceTable
{
    /// <summary>Beyond this many cached domains the cache is dropped and refills; it bounds memory under a dictionary attack.</summary>
    public const int MaxCachedDomains = 10_000;

    private static readonly IReadOnlyList<RouteTier> NoRoute = [];

    private readonly Entry[] _entries;
    private readonly ConcurrentDictionary<string, IReadOnlyList<RouteTier>> _cache = new(StringComparer.Ordinal);

    public AddressSpaceTable(IEnumerable<(string ConnectorId, IReadOnlyList<AddressSpace> Spaces)> connectors)
    {
        ArgumentNullException.ThrowIfNull(connectors);
        _entries =
        [
            .. from connector in connectors
               from space in connector.Spaces
               select new Entry(connector.ConnectorId, space),
        ];
    }

    /// <summary>The number of cached resolutions; for tests of the cache bound.</summary>
    internal int CachedDomainCount => _cache.Count;

    /// <summary>
    /// Every tier that can carry mail for <paramref name="domain"/>, best first; empty when no
    /// address space matches (no route) or the domain is not a valid host name or address literal.
    /// A connector appears at most once, in its best tier.
    /// </summary>
    public IReadOnlyList<RouteTier> Resolve(string domain)
    {
        if (!DomainName.TryNormalize(domain, out var normalized, out _))
        {
            return NoRoute;
        }

        if (_cache.TryGetValue(normalized, out var cached))
        {
            return cached;
        }

        var tiers = Compute(normalized);
        if (_cache.Count >= MaxCachedDomains)
        {
            _cache.Clear();
        }

        _cache.TryAdd(normalized, tiers);
        return tiers;
    }

    /// <summary>
    /// The comparable form of a domain: trimmed, no trailing dot, lower-case, IDN labels in punycode;
    /// address literals (<c>[192.0.2.1]</c>) lower-cased and otherwise kept.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a valid host name or address literal.</exception>
    public static string NormalizeDomain(string domain) =>
        DomainName.TryNormalize(domain, out var normalized, out var error)
            ? normalized
            : throw new ArgumentException(error, nameof(domain));

    /// <summary>
    /// The domain part of a mailbox: everything after the last '@' (a quoted local part may itself
    /// contain '@'), so <c>user@[192.0.2.1]</c> gives <c>[192.0.2.1]</c>. Not normalised.
    /// </summary>
    public static string DomainOf(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var trimmed = address.Trim().TrimStart('<').TrimEnd('>');
        var at = trimmed.LastIndexOf('@');
        return at < 0 ? string.Empty : trimmed[(at + 1)..];
    }

    /// <summary>
    /// Every connector's address space that matches <paramref name="domain"/>, best first (the order
    /// <see cref="Resolve"/> forms its tiers in); empty for an invalid domain. For operators: it
    /// shows the matches a tier hides.
    /// </summary>
    public IReadOnlyList<(string ConnectorId, AddressSpace Space)> Matches(string domain) =>
        DomainName.TryNormalize(domain, out var normalized, out _)
            ? [.. MatchingEntries(normalized).Select(e => (e.ConnectorId, e.Space))]
            : [];

    private List<Entry> MatchingEntries(string normalized) =>
        _entries
            .Where(e => e.Space.Matches(normalized))
            .OrderByDescending(e => e.Space.Specificity)
            .ThenBy(e => e.Space.Cost)
            .ToList();

    private IReadOnlyList<RouteTier> Compute(string normalized)
    {
        var matches = MatchingEntries(normalized);
        if (matches.Count == 0)
        {
            return NoRoute;
        }

        var placed = new HashSet<string>(StringComparer.Ordinal);
        var tiers = new List<RouteTier>();
        // The matches are sorted best first, so the first group a connector appears in is its best tier.
        foreach (var group in matches.GroupBy(e => (e.Space.Pattern, e.Space.Cost)))
        {
            var ids = group
                .Select(e => e.ConnectorId)
                .Where(placed.Add)
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (ids.Length > 0)
            {
                tiers.Add(new RouteTier(group.Key.Pattern, group.Key.Cost, ids));
            }
        }

        return tiers;
    }

    private readonly record struct Entry(string ConnectorId, AddressSpace Space);
}
