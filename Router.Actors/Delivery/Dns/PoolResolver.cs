using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery.Dns;

/// <summary>The DNS servers could not say what a name resolves to (timeout, SERVFAIL, refused): keep what was known.</summary>
public sealed class PoolLookupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Resolves firewall host names with DnsClient (A and AAAA, with their TTLs) against <c>router.dns.servers</c> or the
/// system's DNS servers. A name those servers do not know (NXDOMAIN, no address records) is, when no servers are
/// configured, given to the system resolver as well, which also reads the hosts file and applies search domains;
/// its answer has no TTL, so it is asked again after <see cref="SystemTtl"/> (within min-ttl and max-ttl).
/// </summary>
public sealed class PoolResolver
{
    /// <summary>How long a system resolver answer is kept before the name is asked again.</summary>
    public static readonly TimeSpan SystemTtl = TimeSpan.FromSeconds(60);

    private readonly DnsOptions _options;
    private readonly Lazy<LookupClient> _client;

    public PoolResolver(DnsOptions options)
    {
        _options = options;
        _client = DnsLookup.Create(options);
    }

    public async Task<PoolResolution> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        LookupClient client;
        try
        {
            client = _client.Value;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or SocketException)
        {
            // No name server found (no /etc/resolv.conf): the system resolver alone.
            return await SystemAsync(host, $"no DNS server to ask ({ex.Message})", cancellationToken).ConfigureAwait(false);
        }

        IDnsQueryResponse a, aaaa;
        try
        {
            var aQuery = client.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
            var aaaaQuery = client.QueryAsync(host, QueryType.AAAA, QueryClass.IN, cancellationToken);
            a = await aQuery.ConfigureAwait(false);
            aaaa = await aaaaQuery.ConfigureAwait(false);
        }
        catch (DnsResponseException ex)
        {
            throw new PoolLookupException($"DNS lookup of {host} failed: {ex.Message}", ex);
        }

        foreach (var response in new[] { a, aaaa })
        {
            if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
                throw new PoolLookupException($"DNS lookup of {host} failed: {response.ErrorMessage} (from {response.NameServer})");
        }

        var records = a.Answers.ARecords().Cast<AddressRecord>().Concat(a.Answers.OfType<AaaaRecord>())
            .Concat(aaaa.Answers.OfType<AaaaRecord>()).Concat(aaaa.Answers.ARecords()).ToArray();
        if (records.Length == 0)
        {
            var why = a.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain ? "no such name (NXDOMAIN)" : "no address records";
            if (_options.Servers.Count == 0)
                return await SystemAsync(host, why, cancellationToken).ConfigureAwait(false);
            return new PoolResolution([], _options.MinTtl, "dns");
        }
        var ttl = TimeSpan.FromSeconds(records.Min(r => r.InitialTimeToLive));
        return new PoolResolution(FirewallPools.Ordered(records.Select(r => r.Address)), Clamp(ttl), "dns");
    }

    private async Task<PoolResolution> SystemAsync(string host, string why, CancellationToken cancellationToken)
    {
        try
        {
            var addresses = await System.Net.Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return new PoolResolution(FirewallPools.Ordered(addresses), Clamp(SystemTtl), "system");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.HostNotFound)
        {
            return new PoolResolution([], _options.MinTtl, "system");
        }
        catch (SocketException ex)
        {
            throw new PoolLookupException($"lookup of {host} failed ({why}; the system resolver: {ex.Message})", ex);
        }
    }

    private TimeSpan Clamp(TimeSpan ttl) => ttl < _options.MinTtl ? _options.MinTtl : ttl > _options.MaxTtl ? _options.MaxTtl : ttl;
}
