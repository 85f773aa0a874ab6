using Akka.Actor;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Peers;

namespace Router.Actors.Routing;

// The routing actor's local commands (they carry actor refs and never cross a node boundary).

/// <summary>Registers the connector actors once they exist (they need the router's ref first).</summary>
/// <param name="FirewallConnectors">For each firewall, the connectors that deliver through it.</param>
public sealed record AttachConnectors(IReadOnlyDictionary<string, IActorRef> Connectors, IReadOnlyDictionary<string, IReadOnlyList<string>> FirewallConnectors);

/// <summary>
/// Clustered: lets the router hand mail to peers (spill-over) through <paramref name="Handovers"/>
/// (a <see cref="HandoverSender"/>), choosing them from <paramref name="HealthView"/>'s cluster view.
/// </summary>
public sealed record AttachSpillOver(IActorRef HealthView, IActorRef Handovers, SpillOverSettings Settings, string SelfAddress)
    : INoSerializationVerificationNeeded;

/// <summary>This node is leaving: place nothing locally any more, hand every part to peers.</summary>
public sealed class StartDrain : INoSerializationVerificationNeeded
{
    public static readonly StartDrain Instance = new();
    private StartDrain() { }
}
