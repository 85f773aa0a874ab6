using System.Collections.Immutable;
using System.Net;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery.Dns;

/// <summary>What one firewall host name resolved to, and when to ask again.</summary>
/// <param name="Addresses">The addresses, in a stable order (IPv4 first, then by value); empty when the name has none.</param>
/// <param name="Source">"dns" (the configured or system DNS servers) or "system" (the system resolver: the hosts file, search domains).</param>
public sealed record PoolResolution(IReadOnlyList<IPAddress> Addresses, TimeSpan Ttl, string Source);

/// <summary>
/// Firewall pools: a firewall whose <c>host</c> is a DNS name stands for every address the name resolves to. Each
/// address is a member firewall with its own actor, connections, health and metrics, under the id
/// <c>&lt;firewall&gt;@&lt;address&gt;</c>; connectors that name the firewall use all its members (each with the
/// firewall's weight and limits). Expansion is pure: the configuration as written plus the current resolutions give
/// the firewalls and connectors the node runs. A name not resolved yet (or that resolves to nothing) keeps its one
/// firewall under its own id, which connects through the system resolver at each attempt, as before pools existed.
/// </summary>
public static class FirewallPools
{
    /// <summary>The host names of <paramref name="options"/>' firewalls that are pools (not IP addresses), distinct, lower case.</summary>
    public static IReadOnlyList<string> Names(RouterOptions options) =>
        options.Firewalls.Where(IsPool).Select(f => Normalize(f.Host)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public static bool IsPool(FirewallOptions firewall) => firewall.Pool is null && !IPAddress.TryParse(firewall.Host, out _);

    public static string Normalize(string host) => host.TrimEnd('.').ToLowerInvariant();

    /// <summary>The member id of <paramref name="address"/> in the pool of firewall <paramref name="id"/>.</summary>
    public static string MemberId(string id, IPAddress address) => $"{id}@{address}";

    /// <summary>
    /// <paramref name="declared"/> with each pool firewall replaced by its members under <paramref name="resolved"/>
    /// (host name → resolution), and each connector's firewall list likewise.
    /// </summary>
    public static RouterOptions Expand(RouterOptions declared, IReadOnlyDictionary<string, PoolResolution> resolved)
    {
        if (!declared.Firewalls.Any(IsPool))
            return declared;
        var members = new Dictionary<string, IReadOnlyList<FirewallOptions>>(StringComparer.Ordinal);
        foreach (var firewall in declared.Firewalls)
        {
            members[firewall.Id] = IsPool(firewall) && resolved.TryGetValue(Normalize(firewall.Host), out var resolution) && resolution.Addresses.Count > 0
                ? resolution.Addresses.Select(address => firewall with
                {
                    Id = MemberId(firewall.Id, address),
                    Host = address.ToString(),
                    Pool = firewall.Id,
                    // The certificate names the host, not the address it resolved to.
                    TlsServerName = firewall.TlsServerName ?? firewall.Host,
                }).ToArray()
                : [firewall];
        }
        return declared with
        {
            Firewalls = declared.Firewalls.SelectMany(f => members[f.Id]).ToArray(),
            Connectors = declared.Connectors
                .Select(c => c with { FirewallIds = c.FirewallIds.SelectMany(id => members.TryGetValue(id, out var m) ? m.Select(f => f.Id) : [id]).ToArray() })
                .ToArray(),
        };
    }

    /// <summary>Addresses in the order members are listed: IPv4 before IPv6, then by their bytes.</summary>
    public static IReadOnlyList<IPAddress> Ordered(IEnumerable<IPAddress> addresses) =>
        addresses.Distinct()
            .OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)
            .ThenBy(a => Convert.ToHexString(a.GetAddressBytes()), StringComparer.Ordinal)
            .ToArray();

    /// <summary>Whether two resolutions give the same members (TTLs aside).</summary>
    public static bool SameMembers(PoolResolution? a, PoolResolution? b) =>
        (a?.Addresses ?? []).SequenceEqual(b?.Addresses ?? []);

    /// <summary>The empty table.</summary>
    public static IReadOnlyDictionary<string, PoolResolution> None { get; } = ImmutableDictionary<string, PoolResolution>.Empty;
}
