using System.Net;

namespace Router.Actors.Configuration;

/// <summary>
/// <c>router.dns</c>: how firewall host names are resolved into pools (and, later, MX lookups). A firewall whose
/// <c>host</c> is a DNS name is a pool: every address the name resolves to is a member with its own connections
/// and health, and the name is resolved again when its records' TTL runs out.
/// </summary>
public sealed record DnsOptions
{
    /// <summary><c>servers</c>: DNS servers to ask ("192.0.2.53" or "192.0.2.53:5353"); empty (the default): the system's (/etc/resolv.conf).</summary>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = [];

    /// <summary><c>timeout</c>: one query's wait for an answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>min-ttl</c>: a record is not asked for again sooner than this, however short its TTL; also the wait before asking again after a failed lookup. Default 5 s.</summary>
    public TimeSpan MinTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>max-ttl</c>: a record is asked for again after at most this, however long its TTL. Default 10 min.</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromMinutes(10);
}
