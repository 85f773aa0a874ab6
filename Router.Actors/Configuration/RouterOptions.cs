using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// The validated <c>router</c> section of a node's HOCON configuration. Build it with
/// <see cref="RouterConfig.ToOptions"/>, which applies the defaults and rejects bad values.
/// </summary>
public sealed record RouterOptions
{
    /// <summary><c>node-name</c>: names this node in logs and in the cluster. Default: the machine name.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary><c>spool</c>.</summary>
    public SpoolSettings Spool { get; init; } = new();

    /// <summary><c>smtp</c>.</summary>
    public SmtpOptions Smtp { get; init; } = new();

    /// <summary><c>delivery</c>.</summary>
    public DeliveryOptions Delivery { get; init; } = new();

    /// <summary><c>admin</c>: the HTTP admin endpoint of the operator client.</summary>
    public AdminOptions Admin { get; init; } = new();

    /// <summary><c>firewalls</c>, in file order.</summary>
    public IReadOnlyList<FirewallOptions> Firewalls { get; init; } = [];

    /// <summary><c>connectors</c>, in file order.</summary>
    public IReadOnlyList<ConnectorOptions> Connectors { get; init; } = [];

    /// <summary><c>cluster</c>: off unless enabled; the node then joins the other nodes.</summary>
    public ClusterSettings Cluster { get; init; } = new();

    /// <summary><c>shadow</c>, <c>shadow-timeout</c>, <c>shadow-deliver-first</c>, <c>shadow-promote-after</c>, <c>shadow-port</c>: shadow redundancy (off unless clustered).</summary>
    public ShadowOptions Shadow { get; init; } = new() { Mode = ShadowMode.Off };

    /// <summary>
    /// The whole configuration these options were read from. Its <c>akka</c> section, if any, is
    /// passed to the actor system as written, over the host's own settings (tuning such as
    /// <c>akka.cluster.split-brain-resolver.stable-after</c>).
    /// </summary>
    public Akka.Configuration.Config? Hocon { get; init; }

    /// <summary>The file these options were read from (<c>--config</c>): what a reload reads again. Null for the embedded defaults or options built in code.</summary>
    public string? SourcePath { get; init; }

    /// <summary><c>tracking</c>: the message tracking log.</summary>
    public TrackingOptions Tracking { get; init; } = new();

    /// <summary><c>router.telemetry</c>: OpenTelemetry export (traces and metrics over OTLP); off by default.</summary>
    public TelemetryOptions Telemetry { get; init; } = new();

    /// <summary><c>router.warm-up</c>: synthetic mail through a throwaway node before <c>router run</c> opens its listener.</summary>
    public WarmUpOptions WarmUp { get; init; } = new();

    /// <summary><c>router.dns</c>: the resolver of firewall host names (pools).</summary>
    public DnsOptions Dns { get; init; } = new();

    /// <summary><c>router.firewall-defaults</c>: the settings of the firewalls MX connectors make for the MX hosts they find.</summary>
    public FirewallOptions FirewallDefaults { get; init; } = new() { Id = "firewall-defaults", Host = "firewall-defaults" };

    /// <summary>The routing table of the configured connectors' address spaces.</summary>
    public AddressSpaceTable BuildAddressSpaceTable() =>
        new(Connectors.Select(c => (c.Id, c.AddressSpaces)), Connectors.ToDictionary(c => c.Id, c => c.Policy, StringComparer.Ordinal),
            Connectors.Where(c => c.Mx is not null).Select(c => c.Id));
}
