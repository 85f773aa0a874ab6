using System.Collections.Concurrent;

namespace Router.Actors.Routing;

/// <summary>
/// Maps a recipient domain to the tiers of connectors that can carry mail for it, best first
/// (Exchange 2003 routing-group connector semantics): the most specific matching address space
/// wins (exact domain, then <c>*.suffix</c> with the longest suffix first, then <c>*</c>), and among
/// equally specific ones the lowest cost. Connectors that match with the same pattern and cost form
/// one tier and share the load; the later tiers of the same pattern are the fallback when a whole
/// tier is down. Mail is pinned to the most specific matching pattern: the tiers of a less specific
/// one follow only when every connector of the pattern before says <c>fallback = on</c>
/// (<see cref="ConnectorPolicy.Fallback"/>). A connector whose restrictions refuse a message (size,
/// sender) is left out for it before any of this, as Exchange 2019 leaves it out of connector selection.
/// Immutable and thread-safe; results without restrictions are cached because this is asked once per recipient.
/// </summary>
public sealed class AddressSpaceTable
{
    /// <summary>Beyond this many cached domains the cache is dropped and refills; it bounds memory under a dictionary attack.</summary>
    public const int MaxCachedDomains = 10_000;

    private static readonly IReadOnlyList<RouteTier> NoRoute = [];

    private readonly Entry[] _entries;
    private readonly IReadOnlyDictionary<string, ConnectorPolicy> _policies;
    private readonly bool _restricts;
    private readonly HashSet<string> _perDomain;

    /// <summary>Whether a job through these tiers must carry one recipient domain: one of their connectors is an MX connector.</summary>
    public bool PerDomain(IReadOnlyList<RouteTier> tiers)
    {
        if (_perDomain.Count == 0)
            return false;
        foreach (var tier in tiers)
        {
            foreach (var id in tier.ConnectorIds)
            {
                if (_perDomain.Contains(id))
                    return true;
            }
        }
        return false;
    }
    private readonly ConcurrentDictionary<string, IReadOnlyList<RouteTier>> _cache = new(StringComparer.Ordinal);

    /// <param name="policies">Each connector's policy; a connector missing here gets <see cref="ConnectorPolicy.Default"/> (pinned, no limits).</param>
    public AddressSpaceTable(
        IEnumerable<(string ConnectorId, IReadOnlyList<AddressSpace> Spaces)> connectors,
        IReadOnlyDictionary<string, ConnectorPolicy>? policies = null,
        IEnumerable<string>? perDomainConnectors = null)
    {
        _perDomain = perDomainConnectors?.ToHashSet(StringComparer.Ordinal) ?? [];
        ArgumentNullException.ThrowIfNull(connectors);
        _entries =
        [
            .. from connector in connectors
               from space in connector.Spaces
               select new Entry(connector.ConnectorId, space),
        ];
        _policies = policies ?? new Dictionary<string, ConnectorPolicy>();
        _restricts = _policies.Values.Any(p => p.Restricts);
    }

    /// <summary>A connector's policy (<see cref="ConnectorPolicy.Default"/> when none was given).</summary>
    public ConnectorPolicy PolicyOf(string connector) => _policies.GetValueOrDefault(connector) ?? ConnectorPolicy.Default;

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

        var tiers = Compute(normalized, null).Tiers;
        if (_cache.Count >= MaxCachedDomains)
        {
            _cache.Clear();
        }

        _cache.TryAdd(normalized, tiers);
        return tiers;
    }

    /// <summary>
    /// The tiers for a recipient at <paramref name="domain"/> of a message from <paramref name="sender"/> of
    /// <paramref name="size"/> bytes: as <see cref="Resolve(string)"/>, without the connectors whose restrictions
    /// refuse the message. Empty with <paramref name="refused"/> set when connectors matched but all refused it.
    /// </summary>
    public IReadOnlyList<RouteTier> Resolve(string domain, string sender, long size, out Restriction? refused)
    {
        refused = null;
        if (!_restricts)
            return Resolve(domain);
        if (!DomainName.TryNormalize(domain, out var normalized, out _))
            return NoRoute;
        var resolution = Compute(normalized, (sender, size));
        refused = resolution.Refused;
        return resolution.Tiers;
    }

    /// <summary>
    /// The tiers as <see cref="Resolve(string, string, long, out Restriction?)"/> gives them, and the rule that cut
    /// them: the pattern mail is pinned to when less specific matches were left out (null when none were), and
    /// every connector left out by its restrictions with the reason. For <c>route test</c>.
    /// </summary>
    public RouteResolution Explain(string domain, string? sender = null, long? size = null) =>
        DomainName.TryNormalize(domain, out var normalized, out _)
            ? Compute(normalized, sender is null && size is null ? null : (sender ?? string.Empty, size ?? 0))
            : new RouteResolution(NoRoute, null, null, []);

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

    private RouteResolution Compute(string normalized, (string Sender, long Size)? message)
    {
        var matches = MatchingEntries(normalized);
        if (matches.Count == 0)
        {
            return new RouteResolution(NoRoute, null, null, []);
        }

        // Restrictions first: a connector that will not carry this message is no candidate at all.
        var excluded = new List<(string Connector, Restriction Why)>();
        if (message is var (sender, size))
        {
            foreach (var connector in matches.Select(e => e.ConnectorId).Distinct(StringComparer.Ordinal))
            {
                if (PolicyOf(connector).Refuses(sender, size) is { } why)
                    excluded.Add((connector, why));
            }
            if (excluded.Count > 0)
            {
                var refusing = excluded.Select(e => e.Connector).ToHashSet(StringComparer.Ordinal);
                matches = matches.Where(e => !refusing.Contains(e.ConnectorId)).ToList();
                if (matches.Count == 0)
                {
                    // Size says more than sender when both apply: a smaller message may still go.
                    var refused = excluded.Any(e => e.Why == Restriction.Size) ? Restriction.Size : Restriction.Sender;
                    return new RouteResolution(NoRoute, null, refused, excluded);
                }
            }
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

        // Pinning: the tiers of a less specific pattern follow only when every connector of the pattern before allows it.
        var kept = tiers.Count;
        for (var i = 1; i < tiers.Count; i++)
        {
            if (tiers[i].Pattern == tiers[i - 1].Pattern)
                continue;
            var previous = tiers[i - 1].Pattern;
            if (!tiers.Where(t => t.Pattern == previous).SelectMany(t => t.ConnectorIds).All(c => PolicyOf(c).Fallback))
            {
                kept = i;
                break;
            }
        }

        return kept == tiers.Count
            ? new RouteResolution(tiers, null, null, excluded)
            : new RouteResolution(tiers.Take(kept).ToArray(), tiers[kept - 1].Pattern, null, excluded);
    }

    private readonly record struct Entry(string ConnectorId, AddressSpace Space);
}
