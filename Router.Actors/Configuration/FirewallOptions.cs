using System.Security.Cryptography.X509Certificates;
using Router.Actors.Health.Latency;

namespace Router.Actors.Configuration;

/// <summary>
/// <c>router.firewalls.&lt;id&gt;</c>: one email firewall (smart host) mail is delivered to. Every option
/// but <c>host</c> defaults to <c>router.firewall-defaults.&lt;key&gt;</c> and can be overridden in the
/// firewall's own block; the defaults below are those of the reference configuration.
/// </summary>
public sealed record FirewallOptions
{
    /// <summary>The key of the firewall's block; names it in logs, metrics and operator commands.</summary>
    public required string Id { get; init; }

    /// <summary><c>host</c>: IP address or DNS name to connect to. Required.</summary>
    public required string Host { get; init; }

    /// <summary><c>port</c>: TCP port. Default 25.</summary>
    public int Port { get; init; } = 25;

    /// <summary>
    /// <c>max-connections</c>: SMTP connections to this firewall. Default 8. On a single node the size of its pool; in a
    /// cluster a budget for the whole cluster, divided among the Up members (<see cref="Health.ClusterBudget"/>).
    /// </summary>
    public int MaxConnections { get; init; } = 8;

    /// <summary><c>min-connections-per-node</c>: the least part of <c>max-connections</c> a cluster node takes, however many members share it. Default 1.</summary>
    public int MinConnectionsPerNode { get; init; } = 1;

    /// <summary><c>connect-timeout</c>: TCP connect. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>greeting-timeout</c>: wait for the 220 greeting after connecting. Default 10 s.</summary>
    public TimeSpan GreetingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>command-timeout</c>: wait for the reply to EHLO, MAIL, RCPT, DATA, RSET, QUIT. Default 30 s.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>tls-handshake-timeout</c>: STARTTLS handshake. Default 10 s.</summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>data-timeout</c>: wait for the reply to the final dot, while the firewall scans the message. Default 10 min.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>trip-after</c>: consecutive failures that trip the circuit breaker. Default 3.</summary>
    public int TripAfter { get; init; } = 3;

    /// <summary><c>open-for</c>: how long a tripped firewall gets no work before it is probed; doubles on each re-trip. Default 10 s.</summary>
    public TimeSpan OpenFor { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>max-open-for</c>: cap of the doubling open time. Default 5 min.</summary>
    public TimeSpan MaxOpenFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>probe-interval</c>: active SMTP probe interval while Suspect, Tripped or Probing. Default 2 s.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>healthy-probe-interval</c>: active SMTP probe interval while Healthy. Default 30 s.</summary>
    public TimeSpan HealthyProbeInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>slow-start</c>: a recovered firewall's share of load ramps up over this time; zero disables. Default 5 s.</summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>detector</c>: how the firewall's latency history judges a wait (phi threshold, minimum history, window).</summary>
    public LatencyPolicy Latency { get; init; } = LatencyPolicy.Default;

    /// <summary><c>helo-name</c>: the name sent in EHLO to this firewall. Default <c>router.smtp.hostname</c>.</summary>
    public string HeloName { get; init; } = "router.localdomain";

    /// <summary>A pooled connection unused this long is closed with QUIT. Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    // Share and sending limits (issue 20).

    /// <summary><c>weight</c>: this firewall's share of each of its connectors' jobs against the connector's other firewalls. Default 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary><c>max-messages-per-connection</c>: a pooled connection is closed (QUIT) after this many transactions; null: unlimited (the default).</summary>
    public int? MaxMessagesPerConnection { get; init; }

    /// <summary><c>max-message-rate</c>: transactions started per unit of time; in a cluster for the whole cluster, divided among the Up members; null: unlimited (the default).</summary>
    public SendingRate? MaxMessageRate { get; init; }

    /// <summary><c>max-connection-rate</c>: new SMTP connections for delivery per unit of time; in a cluster for the whole cluster, divided among the Up members; null: unlimited (the default).</summary>
    public SendingRate? MaxConnectionRate { get; init; }

        // TLS and AUTH towards the firewall (edge security).

    /// <summary><c>tls</c>: none, opportunistic, required or verify. Default opportunistic.</summary>
    public FirewallTls Tls { get; init; } = FirewallTls.Opportunistic;

    /// <summary>
    /// <c>tls-ca-file</c>: PEM file of the CA certificate(s) that are the only trust anchors of <c>tls = verify</c>;
    /// null trusts the system's roots. Loaded at start-up into <see cref="TlsTrustAnchors"/>.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>The certificates of <see cref="TlsCaFile"/>; null when it is not set.</summary>
    public X509Certificate2Collection? TlsTrustAnchors { get; init; }

    /// <summary>
    /// <c>tls-server-name</c>: the name the certificate must carry under <c>tls = verify</c>, and the SNI sent;
    /// null uses <see cref="Host"/> (set it when host is an IP address).
    /// </summary>
    public string? TlsServerName { get; init; }

    /// <summary><c>auth</c> / <c>auth-user</c> + <c>auth-password-file</c> or <c>auth-password-env</c>: SMTP AUTH credentials; null sends no AUTH.</summary>
    public FirewallCredentials? Auth { get; init; }

    /// <summary><c>auth-allow-insecure</c>: allow AUTH over a connection that is not TLS. Default off.</summary>
    public bool AuthAllowInsecure { get; init; }

    /// <summary>
    /// Set on the members of a DNS pool: the id of the firewall block whose <c>host</c> name resolved to this
    /// member's address (<see cref="Host"/>). Null for a firewall configured by IP address, and for a pool's name
    /// not resolved yet. See <c>FirewallPools</c>.
    /// </summary>
    public string? Pool { get; init; }

    /// <summary>The id of the configuration block this firewall comes from: its pool's, or its own.</summary>
    public string DeclaredId => Pool ?? Id;
}
