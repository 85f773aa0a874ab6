using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary><c>router.connectors.&lt;id&gt;</c>: a route for mail, Exchange-2003 style.</summary>
public sealed record ConnectorOptions
{
    /// <summary>The key of the connector's block; names it in logs, metrics and operator commands.</summary>
    public required string Id { get; init; }

    /// <summary><c>address-spaces</c>: <c>"pattern;cost"</c> entries saying which domains this connector carries. At least one.</summary>
    public required IReadOnlyList<AddressSpace> AddressSpaces { get; init; }

    /// <summary><c>firewalls</c>: ids of the firewalls this connector delivers through, sharing its load. At least one.</summary>
    public required IReadOnlyList<string> FirewallIds { get; init; }

    /// <summary>
    /// <c>fallback</c>, <c>max-message-size</c>, <c>senders</c>, <c>reject-senders</c> over <c>router.connector-defaults</c>:
    /// pinned to its pattern, no limits, by default.
    /// </summary>
    public ConnectorPolicy Policy { get; init; } = ConnectorPolicy.Default;

    /// <summary>
    /// <c>mx = on</c>: the connector has no firewalls and delivers to the MX hosts of each recipient's domain (looked
    /// up through <c>router.dns</c>), every address of them a firewall with the <c>firewall-defaults</c> settings;
    /// null for a connector of firewalls.
    /// </summary>
    public MxOptions? Mx { get; init; }
}

/// <summary>An MX connector's settings.</summary>
/// <param name="Port"><c>mx-port</c>: the SMTP port of the MX hosts. Default 25.</param>
public sealed record MxOptions(int Port = 25);
