using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// Explains, for an operator, how the router would route one recipient now: the address spaces
/// that match, the tiers they form, each candidate connector's state, and the choice. It asks the
/// router's own table and decision (<paramref name="decide"/> in <see cref="Explain"/>) rather than
/// repeating their rules, so the explanation cannot drift from what the router does.
/// </summary>
public static class RouteExplainer
{
    /// <param name="stateOf">The router's view of a connector.</param>
    /// <param name="decide">The router's decision for these tiers: the connector the tiers pick, and the one after operator redirects.</param>
    /// <param name="spill">The router's spill-over decision for these tiers and the picked connector: "hand over to ..." or null.</param>
    public static RouteExplanation Explain(
        string address,
        AddressSpaceTable table,
        Func<string, ConnectorState> stateOf,
        Func<IReadOnlyList<RouteTier>, string?, (string? Picked, string? Target)> decide,
        Func<IReadOnlyList<RouteTier>, string?, string?>? spill = null,
        string? sender = null,
        long? size = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var domainText = AddressSpaceTable.DomainOf(address);
        if (domainText.Length == 0)
            return NoRoute(address, string.Empty, "the address has no domain (expected local@domain)");
        if (!DomainName.TryNormalize(domainText, out var domain, out var error))
            return NoRoute(address, domainText, $"invalid domain: {error}");

        var message = sender is not null || size is not null;
        var resolution = table.Explain(domain, sender, size);
        // The cached tiers, the very list the router decides on (for one message: without the connectors it refuses).
        var tiers = message ? resolution.Tiers : table.Resolve(domain);
        var tierOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tiers.Count; i++)
        {
            foreach (var id in tiers[i].ConnectorIds)
                tierOf[id] = i + 1;
        }
        var lastSpecificity = tiers.Count > 0 ? AddressSpace.Parse($"{tiers[^1].Pattern};1").Specificity : 0;
        var matches = table.Matches(domain)
            .Select(m => new AddressSpaceMatch(m.ConnectorId, m.Space.Pattern, m.Space.Cost,
                tiers.Count > 0 && IsTierOf(tiers, tierOf, m.ConnectorId, m.Space) ? tierOf[m.ConnectorId]
                : resolution.PinnedTo is not null && m.Space.Specificity < lastSpecificity && !tierOf.ContainsKey(m.ConnectorId) ? -1
                : 0))
            .ToArray();
        var views = tiers.Select((t, i) => new RouteTierView(i + 1, t.Pattern, t.Cost, t.ConnectorIds.Select(stateOf).ToArray())).ToArray();
        var excluded = resolution.Excluded.Count == 0 ? string.Empty
            : "; left out for this message: " + string.Join(", ", resolution.Excluded.Select(e =>
                $"{e.Connector} ({(e.Why == Restriction.Size ? "max-message-size" : "senders/reject-senders")})"));
        if (resolution.Refused is { } refused)
            return new RouteExplanation(address, domain, null, matches, views, null, null,
                refused == Restriction.Size
                    ? "no connector for the domain takes a message this large: the recipient is returned to the sender (5.3.4)"
                    : "no connector for the domain carries mail from this sender: the recipient is returned to the sender (5.7.1)")
            { Rule = excluded.TrimStart(';', ' ') };
        if (tiers.Count == 0)
            return new RouteExplanation(address, domain, null, matches, views, null, null,
                "no route: no address space matches the domain; the router refuses the recipient (550 5.7.1)");
        var rule = RuleOf(table, tiers, resolution.PinnedTo, matches) + excluded;

        var (picked, target) = decide(tiers, null);
        // Clustered: a peer takes the mail instead when this node has no path in a better tier, or too much backlog.
        if (spill?.Invoke(tiers, picked) is { } handover)
            return new RouteExplanation(address, domain, null, matches, views, null, null, handover) { Rule = rule };
        if (target is null)
            return new RouteExplanation(address, domain, null, matches, views, null, null,
                resolution.PinnedTo is { } pinned
                    ? $"parked: no connector of {pinned} is usable and its mail is pinned to it (fallback = off); mail waits in the spool until one of them recovers"
                    : "parked: no connector of any tier is usable; mail waits in the spool until a path recovers") { Rule = rule };

        var rank = tierOf[picked!];
        var sharing = views[rank - 1].Connectors.Count(c => c.State == "usable");
        var how = sharing > 1
            ? $"{picked} (the smaller backlog of two of the {sharing} usable connectors of tier {rank})"
            : $"{picked} (the only usable connector of tier {rank})";
        if (rank > 1)
            how += $"; tier{(rank > 2 ? "s 1-" + (rank - 1) : " 1")} down";
        var verdict = target == picked
            ? $"deliver via {how}"
            : $"deliver via {target}: an operator redirect moves mail for {picked}'s firewall there (tiers chose {how})";
        return new RouteExplanation(address, domain, null, matches, views, target, target == picked ? null : picked, verdict) { Rule = rule };
    }

    /// <summary>Which patterns may carry the mail, and why: the most specific one, and pinned to it or falling back.</summary>
    private static string RuleOf(AddressSpaceTable table, IReadOnlyList<RouteTier> tiers, string? pinnedTo, IReadOnlyList<AddressSpaceMatch> matches)
    {
        var best = tiers[0].Pattern;
        var patterns = tiers.Select(t => t.Pattern).Distinct().ToArray();
        var rule = $"most specific matching pattern: {best}";
        if (patterns.Length > 1)
        {
            var allowing = tiers.Where(t => t.Pattern != patterns[^1]).SelectMany(t => t.ConnectorIds).Distinct();
            rule += $"; falls back to {string.Join(", then ", patterns.Skip(1))} (fallback = on on {string.Join(", ", allowing)})";
        }
        if (pinnedTo is not null)
        {
            var pinning = tiers.Where(t => t.Pattern == pinnedTo).SelectMany(t => t.ConnectorIds).Where(c => !table.PolicyOf(c).Fallback).Distinct();
            var unused = matches.Where(m => m.Tier < 0).Select(m => m.Pattern).Distinct();
            rule += $"; pinned to {pinnedTo}: fallback = off on {string.Join(", ", pinning)}, so {string.Join(", ", unused)} {(unused.Count() == 1 ? "is" : "are")} not used";
        }
        return rule;
    }

    private static bool IsTierOf(IReadOnlyList<RouteTier> tiers, Dictionary<string, int> tierOf, string connector, AddressSpace space) =>
        tierOf.TryGetValue(connector, out var rank) && tiers[rank - 1].Pattern == space.Pattern && tiers[rank - 1].Cost == space.Cost;

    private static RouteExplanation NoRoute(string address, string domain, string error) =>
        new(address, domain, error, [], [], null, null, $"no route: {error}");
}
