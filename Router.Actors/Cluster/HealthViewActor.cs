using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Router.Messages.Health;

namespace Router.Actors.Cluster;

/// <summary>
/// One per node: keeps this node's firewalls' health in the cluster-wide health view and answers
/// <see cref="GetClusterHealthView"/> with every node's firewalls. Clustered, the view is an
/// Akka.DistributedData LWW dictionary keyed "address/firewall-id": each node writes only its own
/// entries (locally, spread by gossip) and removes a departed node's. Alone, the view is this
/// node's firewalls. Health is still decided by each node's firewall actors for its own
/// connections; the view is for routing and operators.
/// </summary>
public sealed partial class HealthViewActor : ReceiveActor, IWithTimers
{
    /// <summary>The replicated map's key: one map for the whole cluster.</summary>
    public static readonly LWWDictionaryKey<string, FirewallHealthEntry> ViewKey = new("router-firewall-health");

    /// <summary>How often counters (delivered, failed) are refreshed between state changes.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private sealed class Refresh : INoSerializationVerificationNeeded
    {
        public static readonly Refresh Instance = new();
        private Refresh() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyDictionary<string, IActorRef> _firewalls;
    private readonly Akka.Cluster.Cluster? _cluster;
    private readonly IActorRef? _replicator;
    private readonly string _address;
    private readonly Dictionary<string, FirewallHealthEntry> _own = [];
    private LWWDictionary<string, FirewallHealthEntry> _replicated = LWWDictionary<string, FirewallHealthEntry>.Empty;
    private ImmutableHashSet<string> _unreachable = [];

    public HealthViewActor(IReadOnlyDictionary<string, IActorRef> firewalls, string nodeName, bool clustered)
    {
        _firewalls = firewalls;
        if (clustered)
        {
            _cluster = Akka.Cluster.Cluster.Get(Context.System);
            _replicator = DistributedData.Get(Context.System).Replicator;
            _address = _cluster.SelfAddress.ToString();
        }
        else
        {
            _address = nodeName;
        }

        Receive<FirewallStateChanged>(changed =>
        {
            if (_firewalls.TryGetValue(changed.FirewallId, out var firewall))
                firewall.Tell(GetFirewallSnapshot.Instance);
        });
        Receive<Refresh>(_ => OnRefresh());
        Receive<FirewallSnapshot>(OnSnapshot);
        Receive<Changed>(changed =>
        {
            if (!changed.Key.Equals(ViewKey))
                return;
            var before = _replicated;
            _replicated = changed.Get(ViewKey);
            TellPeerTrips(before, _replicated);
        });
        Receive<UpdateSuccess>(_ => { });
        // WriteAll times out while a node is unreachable; gossip still carries the entry there.
        Receive<UpdateTimeout>(timeout => _log.Debug("Health view state change not yet acknowledged by every node: {Timeout}", timeout));
        Receive<IUpdateFailure>(failure => _log.Warning("Health view update failed: {Failure}", failure));
        Receive<ClusterEvent.UnreachableMember>(m => _unreachable = _unreachable.Add(m.Member.Address.ToString()));
        Receive<ClusterEvent.ReachableMember>(m => _unreachable = _unreachable.Remove(m.Member.Address.ToString()));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            var address = m.Member.Address.ToString();
            _unreachable = _unreachable.Remove(address);
            RemoveEntriesOf(address);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<GetClusterHealthView>(_ => Sender.Tell(View()));
        Receive<SetFirewalls>(OnSetFirewalls);
        Receive<SetConfigHashes>(OnSetConfigHashes);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IReadOnlyDictionary<string, IActorRef> firewalls, string nodeName, bool clustered) =>
        Akka.Actor.Props.Create(() => new HealthViewActor(firewalls, nodeName, clustered));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(FirewallStateChanged));
        if (_cluster is not null)
        {
            _replicator!.Tell(Dsl.Subscribe(ViewKey, Self));
            _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        }

        Timers.StartPeriodicTimer("refresh", Refresh.Instance, RefreshInterval);
        foreach (var firewall in _firewalls.Values)
            firewall.Tell(GetFirewallSnapshot.Instance);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster?.Unsubscribe(Self);
    }

    private void OnRefresh()
    {
        foreach (var firewall in _firewalls.Values)
            firewall.Tell(GetFirewallSnapshot.Instance);

        // Entries of nodes that left while this one was not watching (or arrived by gossip after
        // their removal): once this node is Up, any address that is no longer a member goes.
        if (_cluster is null || _cluster.SelfMember.Status != MemberStatus.Up)
            return;
        var members = _cluster.State.Members.Select(m => m.Address.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var address in _replicated.Entries.Values.Select(e => e.Address).Distinct().Where(a => !members.Contains(a)).ToList())
            RemoveEntriesOf(address);
    }

    private void OnSnapshot(FirewallSnapshot snapshot)
    {
        if (!_firewalls.ContainsKey(snapshot.FirewallId))
            return;
        var entry = FirewallHealthEntry.From(snapshot, _address) with { ConfigHash = _configHash, RoutingHash = _routingHash };
        if (_own.TryGetValue(entry.Key, out var previous) && previous == entry)
            return;
        _own[entry.Key] = entry;
        if (_replicator is null)
            return;
        var self = _cluster!.SelfUniqueAddress;
        // A change of state is pushed to every node at once (routing and operators act on it);
        // refreshed counters wait for gossip. Either way the local copy is written first, so a
        // node that does not answer in time still gets the entry by gossip later.
        IWriteConsistency consistency = previous is null || previous.State != entry.State ? StateWrite : WriteLocal.Instance;
        _replicator.Tell(Dsl.Update(ViewKey, LWWDictionary<string, FirewallHealthEntry>.Empty, consistency,
            map => map.SetItem(self, entry.Key, entry)));
    }

    private static readonly WriteAll StateWrite = new(TimeSpan.FromSeconds(2));

    private void RemoveEntriesOf(string address)
    {
        if (_replicator is null || address == _address)
            return;
        var keys = _replicated.Entries.Where(e => e.Value.Address == address).Select(e => e.Key).ToList();
        if (keys.Count == 0)
            return;
        _log.Info("Removing {Count} health view entries of departed node {Address}", keys.Count, address);
        var self = _cluster!.SelfUniqueAddress;
        _replicator.Tell(Dsl.Update(ViewKey, LWWDictionary<string, FirewallHealthEntry>.Empty, WriteLocal.Instance,
            map => keys.Aggregate(map, (m, key) => m.Remove(self, key))));
        _replicated = keys.Aggregate(_replicated, (m, key) => m.Remove(self, key));
    }

    /// <summary>How old a peer's trip may be and still make this node's firewall suspect (not old news gossiped at a join).</summary>
    public static readonly TimeSpan PeerTripNewFor = TimeSpan.FromMinutes(2);

    // Issue 17: a firewall that tripped on another node is the same firewall; this node's firewall actor
    // hears of it, and a healthy one becomes suspect and probes before this node vouches for it again.
    private void TellPeerTrips(LWWDictionary<string, FirewallHealthEntry> before, LWWDictionary<string, FirewallHealthEntry> after)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (key, entry) in after.Entries)
        {
            if (entry.Address == _address || entry.State != "tripped" || entry.LastTrip is not { } trip || now - trip > PeerTripNewFor)
                continue;
            if (before.TryGetValue(key, out var previous) && previous.LastTrip == entry.LastTrip)
                continue;
            if (!_firewalls.TryGetValue(entry.FirewallId, out var firewall))
                continue;
            _log.Info("Firewall {Firewall} tripped on {Node} ({Reason}); told this node's firewall actor", entry.FirewallId, entry.Node, entry.Reason);
            firewall.Tell(new PeerFirewallTripped(entry.FirewallId, entry.Node, entry.Reason));
        }
    }

    private ClusterHealthView View()
    {
        // This node's own entries are the freshest; the replicated map supplies the others.
        var entries = new Dictionary<string, FirewallHealthEntry>(StringComparer.Ordinal);
        foreach (var (key, entry) in _replicated.Entries)
        {
            if (entry.Address != _address)
                entries[key] = entry;
        }

        foreach (var (key, entry) in _own)
            entries[key] = entry;
        var ordered = entries.Values
            .OrderBy(e => e.Address, StringComparer.Ordinal)
            .ThenBy(e => e.FirewallId, StringComparer.Ordinal)
            .ToList();
        return new ClusterHealthView(ordered, _unreachable.OrderBy(a => a, StringComparer.Ordinal).ToList());
    }
}
