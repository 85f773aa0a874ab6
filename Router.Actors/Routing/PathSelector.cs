using Router.Actors.Cluster;
using Router.Actors.Configuration;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>The path a part takes now: a local connector (null: none is usable), or a peer instead.</summary>
public sealed record PathChoice(string? Connector, Handover? Handover)
{
    /// <summary>Set when no firewall of any allowed tier offers an extension the part needs: its recipients fail.</summary>
    public FailedRecipientReason? Failure { get; init; }
}

/// <summary>
/// Chooses the path of a part from the routing actor's view: the address-space tiers of its route,
/// which connectors take work (as they said), their reported loads, operator suspensions and
/// redirects, and in a cluster the peers' health. Pure: no actors; the clock is the caller's.
/// </summary>
public sealed class PathSelector(AddressSpaceTable table, ConnectorChooser chooser, OperatorOverrides overrides)
{
    private readonly HashSet<string> _attached = new(StringComparer.Ordinal);
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<RouteTier>> _plans = new(StringComparer.Ordinal);
    private SpillOverPlanner? _planner;
    private SpillOverSettings? _spill;
    private string? _selfAddress;

    public ConnectorLoads Loads { get; } = new();

    /// <summary>What each connector's firewalls offer, for parts that need SMTPUTF8, 8BITMIME or REQUIRETLS.</summary>
    public CapabilityPlacement Capabilities { get; } = new();

    public OperatorOverrides Operator { get; private set; } = overrides;

    /// <summary>The node is leaving: every part goes to a peer.</summary>
    public bool Leaving { get; set; }

    /// <summary>Spill-over is on (or the node is leaving): a new cluster view may give parked parts a path.</summary>
    public bool SpillsOver => _planner is not null && (_spill!.Enabled || Leaving);

    /// <summary>A configuration reload: the new address spaces, connectors and firewalls. Loads, down marks and operator overrides of connectors that stay are kept.</summary>
    public void Reload(AddressSpaceTable newTable, IEnumerable<string> connectors, IReadOnlyDictionary<string, IReadOnlyList<string>> firewallConnectors)
    {
        table = newTable;
        _attached.Clear();
        _down.IntersectWith(connectors);
        Attach(connectors, firewallConnectors);
        if (_planner is not null)
            _planner = new SpillOverPlanner(_attached.ToDictionary(c => c, c => (IReadOnlyList<string>)Operator.FirewallsOf(c)), _selfAddress!);
    }

    public void Attach(IEnumerable<string> connectors, IReadOnlyDictionary<string, IReadOnlyList<string>> firewallConnectors)
    {
        _attached.UnionWith(connectors);
        Operator = Operator.With(firewallConnectors);
    }

    /// <summary>Clustered: parts may go to peers, chosen from the cluster's health view.</summary>
    public void AttachSpillOver(SpillOverSettings settings, string selfAddress)
    {
        _spill = settings;
        _selfAddress = selfAddress;
        _planner = new SpillOverPlanner(_attached.ToDictionary(c => c, c => (IReadOnlyList<string>)Operator.FirewallsOf(c)), selfAddress);
    }

    /// <summary>True when the peers' healthy capacity changed.</summary>
    public bool Update(ClusterHealthView view) => _planner?.Update(view) ?? false;

    public void AvoidPeer(string peer, DateTimeOffset until) => _planner?.Avoid(peer, until);

    /// <summary>True when it was usable until now.</summary>
    public bool MarkDown(string connector) => _down.Add(connector);

    /// <summary>True when it was down until now.</summary>
    public bool MarkUsable(string connector) => _down.Remove(connector);

    public bool IsUsable(string connector) => _attached.Contains(connector) && !_down.Contains(connector) && !Operator.IsSuspended(connector);

    /// <summary>Keeps the tiers a part's route resolved to, by its route key.</summary>
    public void Remember(string routeKey, IReadOnlyList<RouteTier> tiers) => _plans[routeKey] = tiers;

    public IReadOnlyList<RouteTier> TiersOf(DeliveryJob job)
    {
        if (!_plans.TryGetValue(job.RouteKey, out var tiers))
            _plans[job.RouteKey] = tiers = table.Resolve(AddressSpaceTable.DomainOf(job.Recipients[0]), job.Sender, job.Length, out _);
        return tiers;
    }

    /// <summary>The part's route runs through one of these connectors.</summary>
    public bool RoutesThrough(DeliveryJob job, IReadOnlySet<string> connectors) =>
        _plans.TryGetValue(job.RouteKey, out var tiers) && tiers.Any(t => t.ConnectorIds.Any(connectors.Contains));

    public PathChoice Choose(DeliveryJob job, DateTimeOffset now)
    {
        var tiers = TiersOf(job);
        var fit = Capabilities.Narrow(job, tiers, IsUsable);
        if (fit.Failure is { } failure)
            return new PathChoice(null, null) { Failure = failure };
        var (picked, target) = Decide(fit.Tiers, now, job.AvoidConnector);
        return SpillFor(job.Handovers, tiers, picked, now) is { } handover ? new PathChoice(null, handover) : new PathChoice(target, null);
    }

    /// <summary>The connector the tiers pick now, and where the part goes after operator redirects (null, null: park it).</summary>
    public (string? Picked, string? Target) Decide(IReadOnlyList<RouteTier> tiers, DateTimeOffset now, string? avoid = null)
    {
        var connector = chooser.Choose(tiers, IsUsable, Loads.Of, avoid, id => Loads.DrainSeconds(id, now));
        return (connector, connector is null ? null : Operator.RedirectedTarget(connector, IsUsable) ?? connector);
    }

    public Handover? SpillFor(int handovers, IReadOnlyList<RouteTier> tiers, string? picked, DateTimeOffset now) =>
        _planner is null ? null : SpillOverDecision.Decide(_planner, _spill!, Leaving, handovers, tiers, picked, IsUsable, Loads.Of, now);

    /// <summary>A connector as operators see it (the state names are the admin API's).</summary>
    public ConnectorState StateOf(string connector)
    {
        var state = !_attached.Contains(connector) ? "detached"
            : Operator.IsSuspended(connector) ? "suspended"
            : _down.Contains(connector) ? "down"
            : "usable";
        return new ConnectorState(connector, state, Loads.Of(connector), Operator.FirewallsOf(connector),
            _attached.Contains(connector) ? Operator.RedirectedTarget(connector, IsUsable) : null);
    }

    /// <summary>The tier of the part's route that holds the connector (null after an operator redirect outside it).</summary>
    public RouteTier? TierOf(DeliveryJob job, string connector) =>
        _plans.TryGetValue(job.RouteKey, out var tiers) ? tiers.FirstOrDefault(t => t.ConnectorIds.Contains(connector)) : null;
}
