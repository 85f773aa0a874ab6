using Akka.Actor;
using Akka.DistributedData;
using Router.Messages.Health;

namespace Router.Actors.Cluster;

/// <summary>
/// A configuration reload, the health view's side: the node's firewalls now (a removed one's entry
/// leaves the view) and the hashes of its running configuration, carried on every entry of the node
/// so that <c>cluster show</c> can mark nodes whose firewall and connector sections differ.
/// </summary>
public sealed partial class HealthViewActor
{
    /// <summary>This node's firewall actors, after a reload.</summary>
    public sealed record SetFirewalls(IReadOnlyDictionary<string, IActorRef> Firewalls);

    /// <summary>The running configuration's hashes (<see cref="Configuration.LoadedConfig"/>).</summary>
    public sealed record SetConfigHashes(string ConfigHash, string RoutingHash);

    private string? _configHash;
    private string? _routingHash;

    private void OnSetFirewalls(SetFirewalls set)
    {
        _firewalls = set.Firewalls;
        var gone = _own.Where(e => !set.Firewalls.ContainsKey(e.Value.FirewallId)).Select(e => e.Key).ToList();
        foreach (var key in gone)
            _own.Remove(key);
        if (gone.Count > 0 && _replicator is not null)
        {
            var self = _cluster!.SelfUniqueAddress;
            _replicator.Tell(Dsl.Update(ViewKey, LWWDictionary<string, FirewallHealthEntry>.Empty, WriteLocal.Instance,
                map => gone.Aggregate(map, (m, key) => m.Remove(self, key))));
        }
        foreach (var firewall in _firewalls.Values)
            firewall.Tell(GetFirewallSnapshot.Instance);
    }

    private void OnSetConfigHashes(SetConfigHashes set)
    {
        _configHash = set.ConfigHash;
        _routingHash = set.RoutingHash;
        // Every own entry is written again with the new hashes.
        foreach (var firewall in _firewalls.Values)
            firewall.Tell(GetFirewallSnapshot.Instance);
        foreach (var key in _own.Keys.ToList())
            _own[key] = _own[key] with { ConfigHash = null };
    }
}
