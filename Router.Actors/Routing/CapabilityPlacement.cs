using Router.Actors.Delivery;
using Router.Messages.Delivery;
using Router.Messages.Health;

namespace Router.Actors.Routing;

/// <summary>How well a firewall (or the best firewall of a connector) fits what a message needs.</summary>
public enum ExtensionFit
{
    /// <summary>Its last session lacked an extension the message needs.</summary>
    Lacking,

    /// <summary>No session was opened to it yet: it is tried, and the message comes back at once if it lacks what is needed.</summary>
    Unknown,

    /// <summary>Its last session offered everything the message needs.</summary>
    Offered,
}

/// <summary>Where a message that needs extensions may go: the tiers narrowed to the connectors to try, or why it fails.</summary>
/// <param name="Tiers">The tiers to choose from (empty: wait for a path, as when every connector is down).</param>
/// <param name="Failure">Set when no firewall of any allowed tier offers what the message needs: its recipients fail with this.</param>
public sealed record CapabilityDecision(IReadOnlyList<RouteTier> Tiers, FailedRecipientReason? Failure);

/// <summary>The permanent failure of a part no firewall of its route can take (reply code, RFC 3463 status, DSN text).</summary>
public sealed record FailedRecipientReason(int Code, string Status, string Diagnostic);

/// <summary>
/// Places a message that needs SMTPUTF8, 8BITMIME or REQUIRETLS (<see cref="DeliveryJob.Needs"/>) on a
/// connector with a firewall that offers it, as the connectors report their firewalls' EHLO
/// (<see cref="ConnectorStatus.Firewalls"/>). In tier order, the first tier with a usable connector
/// that offers it, or failing that one whose firewalls are not known yet (tried: a firewall that turns out
/// to lack it sends the message straight back, and is known then), is narrowed to those connectors. When no
/// usable connector can take it but a firewall that offers it (or is not known yet) is only down, the part
/// waits for a path like any other. When every firewall of every allowed tier is known to lack it, the part
/// fails (5.6.7, 5.6.9, 5.6.3, 5.7.30) and the sender gets a DSN: never a downgrade. Pure, no actors.
/// </summary>
public sealed class CapabilityPlacement
{
    private readonly Dictionary<string, IReadOnlyList<FirewallOffer>> _connectors = new(StringComparer.Ordinal);

    public static ExtensionFit Fit(MailExtensions? offers, MailExtensions needs) =>
        offers is not { } known ? ExtensionFit.Unknown
        : (known & needs) == needs ? ExtensionFit.Offered
        : ExtensionFit.Lacking;

    /// <summary>A connector's report of its firewalls (an empty list says nothing new).</summary>
    public void Report(string connector, IReadOnlyList<FirewallOffer> firewalls)
    {
        if (firewalls.Count > 0)
            _connectors[connector] = firewalls;
    }

    /// <summary>The best fit among the connector's firewalls that take work; <see cref="ExtensionFit.Unknown"/> before it reported.</summary>
    public ExtensionFit FitOf(string connector, MailExtensions needs)
    {
        if (!_connectors.TryGetValue(connector, out var firewalls))
            return ExtensionFit.Unknown;
        var best = ExtensionFit.Lacking;
        foreach (var firewall in firewalls)
        {
            if (firewall.AcceptsWork && Fit(firewall.Offers, needs) > best)
                best = Fit(firewall.Offers, needs);
        }
        return best;
    }

    public CapabilityDecision Narrow(DeliveryJob job, IReadOnlyList<RouteTier> tiers, Func<string, bool> usable)
    {
        var needs = job.Needs;
        if (needs == MailExtensions.None)
            return new CapabilityDecision(tiers, null);
        foreach (var tier in tiers)
        {
            var candidates = tier.ConnectorIds.Where(usable).ToArray();
            foreach (var fit in (ReadOnlySpan<ExtensionFit>)[ExtensionFit.Offered, ExtensionFit.Unknown])
            {
                var fitting = candidates.Where(c => FitOf(c, needs) == fit).ToArray();
                if (fitting.Length > 0)
                    return new CapabilityDecision([tier with { ConnectorIds = fitting }], null);
            }
        }
        var connectors = tiers.SelectMany(t => t.ConnectorIds).Distinct(StringComparer.Ordinal).ToArray();
        // A firewall that might take it is down (or its connector suspended): wait for it, as for any path.
        if (connectors.Any(c => !_connectors.TryGetValue(c, out var firewalls) || firewalls.Any(f => Fit(f.Offers, needs) != ExtensionFit.Lacking)))
            return new CapabilityDecision([], null);
        var firewallsOfRoute = connectors.SelectMany(c => _connectors[c]).DistinctBy(f => f.FirewallId).ToArray();
        var offeredSomewhere = firewallsOfRoute.Aggregate(MailExtensions.None, (all, f) => all | (f.Offers ?? MailExtensions.None));
        var missing = ExtensionRequirements.First(needs & ~offeredSomewhere) is var alone and not MailExtensions.None ? alone : ExtensionRequirements.First(needs);
        var lacking = firewallsOfRoute.Where(f => ((f.Offers ?? MailExtensions.None) & missing) == MailExtensions.None)
            .Select(f => f.FirewallId).Order(StringComparer.Ordinal).ToArray();
        var (code, status, diagnostic) = ExtensionRequirements.Failure(job, missing, lacking);
        return new CapabilityDecision([], new FailedRecipientReason(code, status, diagnostic));
    }
}
