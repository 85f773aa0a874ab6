using Akka.Actor;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Peers;
using Router.Actors.Routing;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Node.Admin;

/// <summary>
/// The admin API's questions to the node's actors: each is an Ask with a timeout, to the routing
/// actor (<c>/user/routing</c>) or a firewall actor (<c>/user/firewall-&lt;id&gt;</c>). Unknown ids
/// are caught here, against the configuration, before any actor is asked.
/// </summary>
public sealed partial class NodeQueries(ActorSystem system, IActorRef routing, RunningConfig running, MessageSpool spool)
{
    // The configuration in force now: a reload replaces it (firewalls and connectors listed, known ids).
    private RouterOptions options => running.Effective;

    /// <summary>The loaded configuration: file, hash, time (<c>GET /api</c>).</summary>
    public LoadedConfig Config => running.Current;

    /// <summary>How long an actor may take to answer before the request fails with 503.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static readonly IReadOnlyList<string> FirewallActions = ["trip", "reset", "drain"];

    public RouterOptions Options => options;

    public string NodeName => options.NodeName;

    public string Address => ((ExtendedActorSystem)system).Provider.DefaultAddress.ToString();

    public DateTimeOffset UpSince => DateTimeOffset.UtcNow - system.Uptime;

    /// <summary>Queue depth and bytes now (the dashboard's chart).</summary>
    public SpoolStatistics SpoolStatistics => spool.Statistics;

    /// <summary>router.cluster.enabled: this node is a cluster member.</summary>
    public bool Clustered => options.Cluster.Enabled;

    public async Task<ClusterView> ClusterAsync(CancellationToken cancellationToken)
    {
        var config = running.Current;
        if (!options.Cluster.Enabled)
        {
            // Not clustered: the node is a cluster of one and its own leader, in the shape of
            // Akka.Cluster's member list.
            var roles = system.Settings.Config.HasPath("akka.cluster.roles")
                ? system.Settings.Config.GetStringList("akka.cluster.roles")
                : [];
            var self = new MemberView(Address, NodeName, "up", roles.ToArray(), Reachable: true, Leader: true, Self: true, UpSince)
            {
                ConfigHash = config.Hash,
                RoutingHash = config.RoutingHash,
            };
            return new ClusterView(Address, Address, Clustered: false, [self]);
        }
        // Each member publishes its configuration's hashes on its health view entries.
        var view = await ClusterHealthAsync(cancellationToken);
        var hashes = view.Firewalls.Where(e => e.ConfigHash is not null).GroupBy(e => e.Address)
            .ToDictionary(g => g.Key, g => (g.First().ConfigHash, g.First().RoutingHash), StringComparer.Ordinal);
        var members = ClusterMembers();
        return members with
        {
            Members = members.Members.Select(m =>
            {
                var (hash, routing) = m.Self ? (config.Hash, config.RoutingHash) : hashes.GetValueOrDefault(m.Address);
                return m with { ConfigHash = hash, RoutingHash = routing, RoutingDiffers = routing is not null && routing != config.RoutingHash };
            }).ToList(),
        };
    }

    /// <summary>
    /// The members as this node's cluster state has them. A member's node name is known for this
    /// node only (the others show their address); <c>upSince</c> likewise.
    /// </summary>
    private ClusterView ClusterMembers()
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var self = cluster.SelfAddress;
        var members = state.Members
            .Select(m => new MemberView(m.Address.ToString(), m.Address == self ? NodeName : $"{m.Address.Host}:{m.Address.Port}",
                m.Status.ToString().ToLowerInvariant(), m.Roles.Order(StringComparer.Ordinal).ToArray(),
                Reachable: !state.Unreachable.Any(u => u.Address == m.Address), Leader: m.Address == state.Leader, Self: m.Address == self,
                m.Address == self ? UpSince : default))
            .ToList();
        return new ClusterView(self.ToString(), state.Leader?.ToString(), Clustered: true, members);
    }

    /// <summary>
    /// <c>cluster leave &lt;address&gt;</c>: the member at <paramref name="address"/> (this node when omitted) hands its
    /// queue to the others, then leaves and stops. Another member is asked through its own <c>/user/leave</c>.
    /// </summary>
    public async Task<CommandResult> LeaveAsync(string? address, CancellationToken cancellationToken)
    {
        var target = Member(address);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var leave = target == cluster.SelfAddress
            ? system.ActorSelection($"/user/{LeaveActor.Name}")
            : system.ActorSelection(new RootActorPath(target) / "user" / LeaveActor.Name);
        var started = await AskAsync<LeaveStarted>(leave, new LeaveNode($"router cmd via {NodeName} ({cluster.SelfAddress})"), $"node {target}", cancellationToken);
        return new CommandResult("leave", started.Queued, started.AlreadyLeaving
            ? $"{started.Address} is already leaving"
            : $"{started.Address} takes no more mail, hands its {started.Queued} queued message(s) to the other nodes, then leaves the cluster and stops");
    }

    /// <summary>
    /// <c>cluster down &lt;address&gt;</c>: marks the member down at once (for a node that is gone or hangs). It does not
    /// hand its queue over; its mail goes out when it starts again.
    /// </summary>
    public CommandResult Down(string? address)
    {
        var target = Member(address);
        Akka.Cluster.Cluster.Get(system).Down(target);
        return new CommandResult("down", 1, $"{target} marked down: it is removed from the cluster without handing its queue over (use leave for that)");
    }

    /// <summary>A current member's address, this node's when <paramref name="address"/> is omitted.</summary>
    private Address Member(string? address)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (string.IsNullOrWhiteSpace(address))
            return cluster.SelfAddress;
        Address parsed;
        try
        {
            parsed = Akka.Actor.Address.Parse(address.Trim());
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw AdminException.BadRequest($"'{address}' is not a node address such as akka.tcp://router@10.0.0.1:4053");
        }
        return cluster.State.Members.Any(m => m.Address == parsed)
            ? parsed
            : throw AdminException.NotFound($"no member {parsed} in the cluster (see cluster show)");
    }

    /// <param name="all">From the root guardian (system actors included) instead of <c>/user</c>.</param>
    public ActorNode Actors(int depth, bool all)
    {
        var extended = (ExtendedActorSystem)system;
        return ActorTree.Walk(all ? extended.Provider.RootGuardian : extended.Guardian, depth);
    }

    /// <summary>
    /// Every firewall of this node and, in a cluster, of every other node the health view knows:
    /// those are asked directly (busy and queued are live), and an unreachable node's or one that
    /// does not answer in time is shown as it last published itself.
    /// </summary>
    public async Task<IReadOnlyList<FirewallView>> FirewallsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<FirewallView> local = [.. await Task.WhenAll(options.Firewalls.Select(f => SnapshotAsync(f, cancellationToken))),
            .. await MxSnapshotsAsync(null, cancellationToken)];
        if (!Clustered)
            return local;
        var view = await ClusterHealthAsync(cancellationToken);
        var remote = await Task.WhenAll(view.Firewalls.Where(e => e.Address != Address)
            .Select(e => RemoteSnapshotAsync(e, view.UnreachableNodes.Contains(e.Address), cancellationToken)));
        return [.. local, .. remote.OrderBy(f => f.Node, StringComparer.Ordinal).ThenBy(f => f.Id, StringComparer.Ordinal)];
    }

    public async Task<FirewallView> FirewallAsync(string id, string? node, CancellationToken cancellationToken)
    {
        if (await RemoteFirewallAsync(id, node, cancellationToken) is { } remote)
            return View(remote, await AskAsync<FirewallSnapshot>(RemoteFirewall(remote), GetFirewallSnapshot.Instance,
                $"firewall {id} on {remote.Node}", cancellationToken));
        if (options.Firewalls.All(f => f.Id != id) && (node is null || IsSelf(node)) && (await MxSnapshotsAsync(id, cancellationToken)).FirstOrDefault() is { } mx)
            return mx;
        return await SnapshotAsync(Firewall(id, node), cancellationToken);
    }

    /// <summary>trip, reset or drain one firewall; with <paramref name="node"/> another cluster member's, forwarded to its firewall actor.</summary>
    public async Task<FirewallView> FirewallCommandAsync(string id, string action, string? node, CancellationToken cancellationToken)
    {
        var command = action switch
        {
            "trip" => FirewallAction.Trip,
            "reset" => FirewallAction.Reset,
            "drain" => FirewallAction.Drain,
            _ => throw AdminException.BadRequest($"unknown firewall action '{action}' (expected {string.Join(", ", FirewallActions)})"),
        };
        if (await RemoteFirewallAsync(id, node, cancellationToken) is { } remote)
            return View(remote, await AskAsync<FirewallSnapshot>(RemoteFirewall(remote), new FirewallCommand(id, command),
                $"firewall {id} on {remote.Node}", cancellationToken));
        var firewall = Firewall(id, node);
        var snapshot = await AskAsync<FirewallSnapshot>(system.ActorSelection($"/user/firewall-{firewall.Id}"), new FirewallCommand(firewall.Id, command),
            $"firewall {firewall.Id}", cancellationToken);
        return View(firewall, snapshot);
    }

    /// <summary>
    /// trip, reset or drain a firewall on every Up member (issue 17: it is the same firewall, one router to
    /// operate): this node's first, then each other member's firewall actor, asked directly. A member that does
    /// not answer, or does not have the firewall, is listed with the reason instead of failing the whole command.
    /// </summary>
    public async Task<IReadOnlyList<FirewallView>> FirewallCommandAllAsync(string id, string action, CancellationToken cancellationToken)
    {
        var local = await FirewallCommandAsync(id, action, null, cancellationToken);
        if (!Clustered)
            return [local];
        var command = new FirewallCommand(id, action switch { "trip" => FirewallAction.Trip, "reset" => FirewallAction.Reset, _ => FirewallAction.Drain });
        var cluster = Akka.Cluster.Cluster.Get(system);
        var others = cluster.State.Members
            .Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.Address != cluster.SelfAddress)
            .Select(m => m.Address).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        var remote = await Task.WhenAll(others.Select(async address =>
        {
            try
            {
                var s = await system.ActorSelection($"{address}/user/firewall-{id}").Ask<FirewallSnapshot>(command, RemoteAskTimeout, cancellationToken);
                return new FirewallView(id, s.Node, string.Empty, 0, [], s.State, s.Since, s.ConsecutiveFailures, s.Trips, s.Busy,
                    s.Share?.MaxConnections ?? 0, s.Queued, s.Delivered, s.Failed, s.Reason)
                {
                    Capabilities = s.Capabilities,
                    Latencies = s.Latencies,
                    Hedged = s.Hedged,
                    Share = s.Share,
                };
            }
            catch (AskTimeoutException)
            {
                return new FirewallView(id, address.ToString(), string.Empty, 0, [], "unknown", default, 0, 0, 0, 0, 0, 0, 0,
                    $"{action} not confirmed: the node did not answer within {RemoteAskTimeout.TotalSeconds:0}s (or has no firewall '{id}')");
            }
        }));
        return [local, .. remote];
    }

    public async Task<IReadOnlyList<ConnectorView>> ConnectorsAsync(CancellationToken cancellationToken)
    {
        var states = await AskAsync<ConnectorStates>(routing, GetConnectorStates.Instance, "the routing actor", cancellationToken);
        var byId = states.Connectors.ToDictionary(c => c.ConnectorId, StringComparer.Ordinal);
        // An MX connector's firewalls are the MX hosts it has found so far (the dashboard draws them as any connector's).
        var mxFirewalls = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (connector, made) in await MxFirewallsAsync(cancellationToken))
            mxFirewalls[connector] = made.Firewalls.Select(f => f.Options.Id).ToArray();
        return options.Connectors.Select(c =>
        {
            var state = byId.GetValueOrDefault(c.Id);
            return new ConnectorView(
                c.Id,
                c.AddressSpaces.Select(a => a.ToString()).ToArray(),
                c.Mx is null ? c.FirewallIds : mxFirewalls.GetValueOrDefault(c.Id) ?? [],
                state?.State ?? "detached",
                state?.Backlog ?? 0,
                state?.RedirectTo,
                states.Redirects.Where(r => c.FirewallIds.Contains(r.Key)).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
        }).ToArray();
    }

    public async Task<RouteTest> RouteAsync(string address, CancellationToken cancellationToken, string? sender = null, long? size = null)
    {
        var explanation = await AskAsync<RouteExplanation>(routing, new ExplainRoute(address) { Sender = sender, Size = size }, "the routing actor", cancellationToken);
        var candidates = explanation.Tiers.SelectMany(t => t.Connectors).SelectMany(c => c.Firewalls).Distinct(StringComparer.Ordinal).ToHashSet();
        var firewalls = await Task.WhenAll(options.Firewalls.Where(f => candidates.Contains(f.Id)).Select(f => SnapshotAsync(f, cancellationToken)));
        return new RouteTest(explanation, firewalls);
    }

    /// <summary>The ids an operator can name, for the client's tab completion.</summary>
    public IReadOnlyList<string> FirewallIds => options.Firewalls.Select(f => f.Id).ToArray();

    public IReadOnlyList<string> ConnectorIds => options.Connectors.Select(c => c.Id).ToArray();

    /// <summary>Not clustered: <c>--node</c> may name this node only.</summary>
    public void CheckSelf(string? node)
    {
        if (node is not null && !IsSelf(node))
            throw AdminException.NotFound($"unknown node '{node}' (this node is '{NodeName}' and is not in a cluster)");
    }

    private FirewallOptions Firewall(string id, string? node)
    {
        CheckSelf(node);
        if (options.Firewalls.FirstOrDefault(f => f.Id == id) is { } firewall)
            return firewall;
        // A DNS pool is its members: name one of them.
        var members = options.Firewalls.Where(f => f.Pool == id).Select(f => f.Id).ToArray();
        throw AdminException.NotFound(members.Length > 0
            ? $"firewall '{id}' is a DNS pool; name one of its members: {string.Join(", ", members)}"
            : $"unknown firewall '{id}'");
    }

    /// <summary>A node name or cluster address that is this node.</summary>
    public bool IsSelf(string node) =>
        string.Equals(node, NodeName, StringComparison.Ordinal) || string.Equals(node, Address, StringComparison.Ordinal);

    /// <summary>
    /// In a cluster, <paramref name="node"/> (a node name or cluster address) names another member:
    /// its entry for <paramref name="id"/> in the health view. Null for this node or when not clustered.
    /// </summary>
    private async Task<FirewallHealthEntry?> RemoteFirewallAsync(string id, string? node, CancellationToken cancellationToken)
    {
        if (node is null || !Clustered || IsSelf(node))
            return null;
        var view = await ClusterHealthAsync(cancellationToken);
        var ofNode = view.Firewalls.Where(e => e.Address != Address && (e.Node == node || e.Address == node)).ToList();
        if (ofNode.Count == 0)
        {
            var known = view.Firewalls.Select(e => e.Node).Append(NodeName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            throw AdminException.NotFound($"unknown node '{node}' (the cluster's health view knows {string.Join(", ", known)})");
        }
        return ofNode.FirstOrDefault(e => e.FirewallId == id) ?? throw AdminException.NotFound($"unknown firewall '{id}' on node '{node}'");
    }

    private Task<ClusterHealthView> ClusterHealthAsync(CancellationToken cancellationToken) =>
        AskAsync<ClusterHealthView>(system.ActorSelection("/user/health-view"), GetClusterHealthView.Instance, "the health view", cancellationToken);

    /// <summary>The firewall actor of another member, by the path every node gives it.</summary>
    private ActorSelection RemoteFirewall(FirewallHealthEntry entry) =>
        system.ActorSelection($"{entry.Address}/user/firewall-{entry.FirewallId}");

    /// <summary>Another member's firewall, asked directly; as the health view has it when that node is unreachable or slow.</summary>
    private async Task<FirewallView> RemoteSnapshotAsync(FirewallHealthEntry entry, bool unreachable, CancellationToken cancellationToken)
    {
        if (!unreachable)
        {
            try
            {
                return View(entry, await RemoteFirewall(entry).Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, RemoteAskTimeout, cancellationToken));
            }
            catch (AskTimeoutException)
            {
                // Shown as last published below.
            }
        }
        return new FirewallView(entry.FirewallId, entry.Node, string.Empty, 0, [], entry.State, entry.Since, entry.ConsecutiveFailures, entry.Trips,
            0, 0, 0, entry.Delivered, entry.Failed, $"{entry.Reason} (as last published: node {(unreachable ? "unreachable" : "did not answer")})");
    }

    /// <summary>How long a listing waits for another member's firewall before showing what the health view has.</summary>
    private static readonly TimeSpan RemoteAskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Another member's firewall: its live figures and pool (its part of the budget); host, port and connectors are in
    /// that node's configuration, not known here (empty).
    /// </summary>
    private static FirewallView View(FirewallHealthEntry entry, FirewallSnapshot s) => new(
        entry.FirewallId, s.Node, string.Empty, 0, [], s.State, s.Since, s.ConsecutiveFailures, s.Trips, s.Busy, s.Share?.MaxConnections ?? 0,
        s.Queued, s.Delivered, s.Failed, s.Reason)
    {
        Capabilities = s.Capabilities,
        Latencies = s.Latencies,
        Hedged = s.Hedged,
        Share = s.Share,
    };

    private ConnectorOptions Connector(string id) =>
        options.Connectors.FirstOrDefault(c => c.Id == id) ?? throw AdminException.NotFound($"unknown connector '{id}'");

    private async Task<FirewallView> SnapshotAsync(FirewallOptions firewall, CancellationToken cancellationToken)
    {
        var snapshot = await AskAsync<FirewallSnapshot>(system.ActorSelection($"/user/firewall-{firewall.Id}"), GetFirewallSnapshot.Instance,
            $"firewall {firewall.Id}", cancellationToken);
        return View(firewall, snapshot);
    }

    private FirewallView View(FirewallOptions firewall, FirewallSnapshot s) => new(
        firewall.Id, s.Node, firewall.Host, firewall.Port,
        options.Connectors.Where(c => c.FirewallIds.Contains(firewall.Id)).Select(c => c.Id).ToArray(),
        s.State, s.Since, s.ConsecutiveFailures, s.Trips, s.Busy, s.Share?.MaxConnections ?? firewall.MaxConnections, s.Queued, s.Delivered, s.Failed, s.Reason)
    {
        Capabilities = s.Capabilities,
        Latencies = s.Latencies,
        Hedged = s.Hedged,
        Share = s.Share,
    };

    private static Task<T> AskAsync<T>(IActorRef actor, object message, string who, CancellationToken cancellationToken) =>
        Answer<T>(actor.Ask<T>(message, AskTimeout, cancellationToken), who);

    private static Task<T> AskAsync<T>(ActorSelection actor, object message, string who, CancellationToken cancellationToken) =>
        Answer<T>(actor.Ask<T>(message, AskTimeout, cancellationToken), who);

    private static async Task<T> Answer<T>(Task<T> ask, string who)
    {
        try
        {
            return await ask;
        }
        catch (AskTimeoutException)
        {
            throw new AdminException(AdminException.StatusCodes.Unavailable, $"{who} did not answer within {AskTimeout.TotalSeconds:0}s");
        }
        catch (ArgumentException ex)
        {
            // The actors answer a Status.Failure with an ArgumentException for an id they do not know.
            throw AdminException.NotFound(ex.Message);
        }
    }
}
