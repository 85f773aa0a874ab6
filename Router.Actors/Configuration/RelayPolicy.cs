using System.Net;
using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// <c>router.smtp.relay</c> (or a listener's <c>relay</c>) and <c>auth.required</c>: who may send mail to which recipients.
/// A client in <see cref="AllowedNetworks"/> or authenticated (SMTP AUTH) may relay to any domain an address space
/// covers; any client may send to the <see cref="Domains"/> (inbound mail from the firewalls).
/// </summary>
public sealed record RelayPolicy
{
    /// <summary><c>relay.allowed-networks</c>: CIDR networks that may relay anywhere; others get 554 5.7.1 at RCPT. Default loopback only.</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks { get; init; } =
        [new IPNetwork(IPAddress.Parse("127.0.0.0"), 8), new IPNetwork(IPAddress.IPv6Loopback, 128)];

    /// <summary>
    /// <c>relay.domains</c>: address-space patterns (<c>corp.example</c>, <c>*.corp.example</c>) any client may send to,
    /// as Postfix's relay_domains. Their mail is routed by the connectors like any other. Default none.
    /// </summary>
    public IReadOnlyList<AddressSpace> Domains { get; init; } = [];

    /// <summary><c>auth.required</c>: every client must authenticate (SMTP AUTH) before MAIL; others get 530 5.7.0. Default off.</summary>
    public bool RequireAuth { get; init; }

    /// <summary>Which recipients at the relay domains exist (<c>relay.recipients</c>, <c>relay.recipients-file</c>, <c>relay.callout</c>).</summary>
    public RecipientValidationOptions Recipients { get; init; } = new();

    /// <summary>Whether a (normalised, A-label) domain is one of <see cref="Domains"/>.</summary>
    public bool IsRelayDomain(string normalizedDomain) => Domains.Any(d => d.Matches(normalizedDomain));
}

/// <summary>Recipient validation at RCPT for the relay domains: a list of valid addresses and/or a callout to the internal server.</summary>
public sealed record RecipientValidationOptions
{
    /// <summary>
    /// The valid recipients from <c>relay.recipients</c> and <c>relay.recipients-file</c>: <c>local@domain</c> (lower case,
    /// domain in A-labels) or <c>@domain</c> (every address at that domain). Null: no list, every recipient passes it.
    /// </summary>
    public IReadOnlySet<string>? Addresses { get; init; }

    /// <summary><c>relay.recipients-file</c>: where <see cref="Addresses"/> partly came from (read at start and on reload). Default none.</summary>
    public string? File { get; init; }

    /// <summary><c>relay.callout</c>: <c>host:port</c> of the internal server asked (EHLO, MAIL FROM:&lt;&gt;, RCPT) before the 250. Default none.</summary>
    public DnsEndPoint? Callout { get; init; }

    /// <summary><c>relay.callout-timeout</c>: longest a whole callout may take; past it the client gets 451 4.4.1. Default 10 s.</summary>
    public TimeSpan CalloutTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>relay.callout-cache</c>: how long a definite answer (2xx or 5xx) is remembered per address; 0 turns the cache off. Default 5 min.</summary>
    public TimeSpan CalloutCache { get; init; } = TimeSpan.FromMinutes(5);

    public bool Enabled => Addresses is not null || Callout is not null;
}

/// <summary>One block of <c>router.smtp.listeners</c>: its endpoints and its own relay policy.</summary>
/// <param name="Name">The block's name (<c>inbound</c>, <c>submission</c>), in logs and on the admin side.</param>
public sealed record SmtpListenerOptions(string Name, IReadOnlyList<IPEndPoint> Listen, RelayPolicy Relay)
{
    /// <summary><c>tls.required</c> of the block: MAIL and AUTH only after STARTTLS on this listener; null: <c>router.smtp.tls.required</c>.</summary>
    public bool? TlsRequired { get; init; }

    /// <summary><c>auth.allow-insecure</c> of the block: AUTH without TLS on this listener; null: <c>router.smtp.auth.allow-insecure</c>.</summary>
    public bool? AuthAllowInsecure { get; init; }

    /// <summary><c>max-message-size</c> of the block: the largest message this listener takes, at most the top-level one; null: the top-level one.</summary>
    public long? MaxMessageSize { get; init; }

    /// <summary><c>max-connections</c> of the block: sessions open at once on this listener's endpoints; null: only the edge's <c>max-connections</c> bounds them.</summary>
    public int? MaxConnections { get; init; }
}
