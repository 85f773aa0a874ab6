using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery.Dns;

/// <summary>One MX host of a domain and the addresses it resolved to.</summary>
public sealed record MxHost(string Name, int Preference, IReadOnlyList<IPAddress> Addresses);

/// <summary>
/// Where a domain's mail goes: its MX hosts grouped by preference, lowest (most preferred) first; or why it cannot
/// go anywhere. <paramref name="Failure"/> is an RFC 3463 status and text: 5.x.x fails the recipients for good, 4.x.x
/// defers them.
/// </summary>
public sealed record MxPlan(string Domain, IReadOnlyList<IReadOnlyList<MxHost>> Groups, TimeSpan Ttl, (string Status, string Text)? Failure)
{
    public static MxPlan Failed(string domain, string status, string text, TimeSpan ttl) => new(domain, [], ttl, (status, text));
}

/// <summary>
/// Looks up a domain's MX records (RFC 5321 §5.1) through <c>router.dns</c>: the hosts by preference, each resolved
/// to its addresses; no MX record: the domain itself is the host (implicit MX); a null MX (RFC 7505, ".") or a domain
/// that does not exist fails the recipients (5.1.10, 5.1.2); a lookup that cannot be answered now defers them (4.4.3).
/// </summary>
public sealed class MxDirectory
{
    private readonly DnsOptions _options;
    private readonly Lazy<LookupClient> _client;
    private readonly PoolResolver _addresses;

    public MxDirectory(DnsOptions options, PoolResolver addresses)
    {
        _options = options;
        _addresses = addresses;
        _client = DnsLookup.Create(options);
    }

    public async Task<MxPlan> LookUpAsync(string domain, CancellationToken cancellationToken)
    {
        // An address literal (user@[192.0.2.1], user@[IPv6:2001:db8::1]) names its host: no lookup (RFC 5321 §4.1.3).
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            var literal = domain[1..^1];
            if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
                literal = literal[5..];
            return IPAddress.TryParse(literal, out var address)
                ? new MxPlan(domain, [[new MxHost(domain, 0, [address])]], _options.MaxTtl, null)
                : MxPlan.Failed(domain, "5.1.2", $"{domain} is not an address literal this router can deliver to", _options.MinTtl);
        }
        IDnsQueryResponse response;
        try
        {
            response = await _client.Value.QueryAsync(domain, QueryType.MX, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DnsResponseException or InvalidOperationException or ArgumentException or System.Net.Sockets.SocketException)
        {
            return MxPlan.Failed(domain, "4.4.3", $"MX lookup of {domain} failed: {ex.Message}", _options.MinTtl);
        }
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            return MxPlan.Failed(domain, "5.1.2", $"the domain {domain} does not exist (NXDOMAIN)", _options.MinTtl);
        if (response.HasError)
            return MxPlan.Failed(domain, "4.4.3", $"MX lookup of {domain} failed: {response.ErrorMessage}", _options.MinTtl);

        var records = response.Answers.MxRecords().ToArray();
        if (records.Length == 1 && records[0].Exchange.Value.TrimEnd('.').Length == 0)
            return MxPlan.Failed(domain, "5.1.10", $"the domain {domain} accepts no mail (null MX, RFC 7505)", Clamp(records[0].InitialTimeToLive));
        // No MX record: the domain itself, as if it had one MX of preference 0 (RFC 5321 §5.1).
        var named = records.Length == 0
            ? [(Name: domain, Preference: 0)]
            : records.Select(r => (Name: r.Exchange.Value.TrimEnd('.'), Preference: (int)r.Preference)).Distinct().ToArray();
        var ttl = records.Length == 0 ? _options.MaxTtl : TimeSpan.FromSeconds(records.Min(r => r.InitialTimeToLive));

        var hosts = new List<MxHost>();
        string? lastError = null;
        foreach (var (name, preference) in named)
        {
            try
            {
                var resolution = await _addresses.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
                if (resolution.Addresses.Count > 0)
                {
                    hosts.Add(new MxHost(name.ToLowerInvariant(), preference, resolution.Addresses));
                    ttl = resolution.Ttl < ttl ? resolution.Ttl : ttl;
                }
            }
            catch (PoolLookupException ex)
            {
                lastError = ex.Message;
            }
        }
        if (hosts.Count == 0)
        {
            return lastError is not null
                ? MxPlan.Failed(domain, "4.4.3", lastError, _options.MinTtl)
                : records.Length == 0
                    ? MxPlan.Failed(domain, "5.1.2", $"the domain {domain} has no MX record and no address", _options.MinTtl)
                    : MxPlan.Failed(domain, "5.4.4", $"no MX host of {domain} has an address ({string.Join(", ", named.Select(n => n.Name))})", _options.MinTtl);
        }
        var groups = hosts.GroupBy(h => h.Preference).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<MxHost>)g.OrderBy(h => h.Name, StringComparer.Ordinal).ToArray()).ToArray();
        return new MxPlan(domain, groups, Clamp(ttl), null);
    }

    private TimeSpan Clamp(TimeSpan ttl) => ttl < _options.MinTtl ? _options.MinTtl : ttl > _options.MaxTtl ? _options.MaxTtl : ttl;

    private TimeSpan Clamp(int seconds) => Clamp(TimeSpan.FromSeconds(seconds));
}
