using DnsClient;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery.Dns;

/// <summary>
/// The DnsClient settings pools and MX connectors share (<c>router.dns</c>): its servers or the system's, the
/// timeout, one retry, no cache of DnsClient's own (the router follows each record's TTL), TCP when an answer is
/// truncated, errors as answers. Made on first use: a node without host-named firewalls or MX connectors never
/// reads the system's name servers.
/// </summary>
internal static class DnsLookup
{
    public static Lazy<LookupClient> Create(DnsOptions options) => new(() =>
    {
        var lookup = options.Servers.Count > 0 ? new LookupClientOptions(options.Servers.ToArray()) : new LookupClientOptions();
        lookup.Timeout = options.Timeout;
        lookup.Retries = 1;
        lookup.UseCache = false;
        lookup.ThrowDnsErrors = false;
        lookup.UseTcpFallback = true;
        return new LookupClient(lookup);
    });
}
