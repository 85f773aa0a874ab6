using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Router.Actors.Delivery;
using Router.Messages.Health;

namespace Router.Actors.Health;

/// <summary>
/// The firewall's side of the cluster budget (issues 17 and 20): in a cluster, <c>max-connections</c>,
/// <c>max-message-rate</c> and <c>max-connection-rate</c> are the whole cluster's, and this node takes its part
/// (<see cref="ClusterBudget"/>) of them, divided again whenever a member becomes Up, leaves, is removed, or becomes
/// unreachable or reachable again. The actor follows the membership itself (one subscription per firewall, from its
/// start): its part is then never older than its own view of the cluster, and a firewall added by a reload needs no
/// one to tell it. A smaller part closes idle connections at once; attempts in flight above it finish on their
/// connection, which then closes; no new attempt starts until the busy ones are under the new part.
/// </summary>
public sealed partial class FirewallActor
{
    // Null on a single node: the part is the whole.
    private ClusterMembers? _members;
    private FirewallLimits _limits = null!;

    private bool Clustered => Context.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider };

    /// <summary>Follows the members when clustered; called from the constructor, before the first job.</summary>
    private void ReceiveMembership()
    {
        if (Clustered)
            _members = ClusterMembers.Alone(Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString());
        _limits = CurrentLimits();
        if (_members is null)
            return;
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            var members = _members!;
            foreach (var member in state.Members)
                members = members.WithStatus(member.Address.ToString(), member.Status == MemberStatus.Up);
            foreach (var member in state.Unreachable)
                members = members.WithReachable(member.Address.ToString(), reachable: false);
            Reshare(members, "cluster state");
        });
        Receive<ClusterEvent.MemberRemoved>(e => Reshare(_members!.Without(e.Member.Address.ToString()), $"{e.Member.Address} removed"));
        Receive<ClusterEvent.IMemberEvent>(e => Reshare(_members!.WithStatus(e.Member.Address.ToString(), e.Member.Status == MemberStatus.Up),
            $"{e.Member.Address} {e.Member.Status.ToString().ToLowerInvariant()}"));
        Receive<ClusterEvent.UnreachableMember>(e => Reshare(_members!.WithReachable(e.Member.Address.ToString(), reachable: false), $"{e.Member.Address} unreachable"));
        Receive<ClusterEvent.ReachableMember>(e => Reshare(_members!.WithReachable(e.Member.Address.ToString(), reachable: true), $"{e.Member.Address} reachable again"));
    }

    private void SubscribeMembership()
    {
        if (_members is not null)
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        if (_members is not null)
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    /// <summary>This node's part of the firewall's budgets under the current settings and members.</summary>
    private FirewallLimits CurrentLimits()
    {
        if (_members is null)
            return ClusterBudget.Whole(_firewall);
        if (!_members.Joined)
            return ClusterBudget.BeforeJoining(_firewall);
        var (nodes, index) = _members.Position();
        return ClusterBudget.Divide(_firewall, nodes, index);
    }

    private void Reshare(ClusterMembers members, string cause)
    {
        _members = members;
        var before = _limits;
        var next = CurrentLimits();
        if (next == before)
            return;
        _limits = next;
        // Nodes 0: this node has not joined yet (it took min-connections-per-node meanwhile).
        _log.Info("Firewall {Firewall} on {Node}: this node's share is now max-connections {MaxConnections} (cluster budget {Budget} / {Nodes} Up node(s)), max-message-rate {MessageRate}, max-connection-rate {ConnectionRate}; was {Before} connection(s) of {BeforeNodes} node(s) ({Cause})",
            [_firewall.Id, _node, next.MaxConnections, _firewall.MaxConnections, next.Nodes, next.MessageRate?.ToString() ?? "unlimited",
             next.ConnectionRate?.ToString() ?? "unlimited", before.MaxConnections, before.Nodes, cause]);
        if (next.MessageRate is { } messages)
            _messageRate?.SetRate(messages);
        if (next.ConnectionRate is { } connections)
            _connectionRate?.SetRate(connections);
        if (!_removed)
            ResizePool();
        PublishStatusIfChanged();
        Dispatch();
    }

    /// <summary>
    /// The pool to this node's part: more workers when it grew; when it shrank, idle workers stop (their connection is
    /// closed) and busy ones beyond it stop when their attempt ends.
    /// </summary>
    private void ResizePool()
    {
        var busy = _busy.Keys.Where(w => !_retiring.Contains(w)).ToArray();
        var pool = _idle.Count + busy.Length;
        if (pool < _limits.MaxConnections)
        {
            StartWorkers(_limits.MaxConnections - pool);
            return;
        }
        var excess = pool - _limits.MaxConnections;
        for (; excess > 0 && _idle.Count > 0; excess--)
            Context.Stop(_idle.Pop());
        foreach (var worker in busy.Take(excess))
            _retiring.Add(worker);
    }

    private FirewallShare ShareView() => new(_limits.MaxConnections, _firewall.MaxConnections, _limits.Nodes)
    {
        MessageRate = _limits.MessageRate?.ToString(),
        BudgetMessageRate = _firewall.MaxMessageRate?.ToString(),
        ConnectionRate = _limits.ConnectionRate?.ToString(),
        BudgetConnectionRate = _firewall.MaxConnectionRate?.ToString(),
    };
}
