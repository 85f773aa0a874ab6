namespace Router.Actors.Routing;

/// <summary>
/// What operators decided about routing, in force until they undo it and kept across restarts
/// (<see cref="OperatorState"/>): suspended connectors, firewall redirects and holds. Pure.
/// </summary>
/// <param name="firewallConnectors">For each firewall, the connectors that deliver through it.</param>
public sealed class OperatorOverrides(OperatorState state, IReadOnlyDictionary<string, IReadOnlyList<string>> firewallConnectors)
{
    private readonly HashSet<string> _suspended = new(state.SuspendedConnectors, StringComparer.Ordinal);
    private readonly Dictionary<string, string> _redirects = new(state.Redirects, StringComparer.Ordinal);
    private readonly HashSet<string> _heldMessages = new(state.HeldMessages, StringComparer.Ordinal);
    private readonly HashSet<string> _heldConnectors = new(state.HeldConnectors, StringComparer.Ordinal);

    /// <summary>All outbound mail paused (<c>outbound pause</c>).</summary>
    public bool OutboundPaused { get; set; } = state.OutboundPaused;

    public IReadOnlyCollection<string> HeldMessages => _heldMessages;

    public IReadOnlyCollection<string> HeldConnectors => _heldConnectors;

    public bool IsMessageHeld(string queueId) => _heldMessages.Contains(queueId);

    public bool IsConnectorHeld(string connector) => _heldConnectors.Contains(connector);

    /// <summary>True when that changed anything.</summary>
    public bool HoldMessage(string queueId, bool hold) => hold ? _heldMessages.Add(queueId) : _heldMessages.Remove(queueId);

    /// <summary>True when that changed anything.</summary>
    public bool HoldConnector(string connector, bool hold) => hold ? _heldConnectors.Add(connector) : _heldConnectors.Remove(connector);

    public IReadOnlyCollection<string> Suspended => _suspended;

    /// <summary>Firewall → the connector its mail goes to instead.</summary>
    public IReadOnlyDictionary<string, string> Redirects => _redirects;

    public IReadOnlyDictionary<string, IReadOnlyList<string>> FirewallConnectors => firewallConnectors;

    /// <summary>The same decisions over a new firewall → connectors map (the connectors were attached).</summary>
    public OperatorOverrides With(IReadOnlyDictionary<string, IReadOnlyList<string>> firewalls) => new(ToState(), firewalls);

    public bool IsSuspended(string connector) => _suspended.Contains(connector);

    /// <summary>True when it was not suspended yet.</summary>
    public bool Suspend(string connector) => _suspended.Add(connector);

    /// <summary>True when it was suspended.</summary>
    public bool Resume(string connector) => _suspended.Remove(connector);

    public void Redirect(string firewall, string connector) => _redirects[firewall] = connector;

    /// <summary>True when a redirect of the firewall was in force.</summary>
    public bool CancelRedirect(string firewall) => _redirects.Remove(firewall);

    /// <summary>The firewalls a connector delivers through, sorted.</summary>
    public IReadOnlyList<string> FirewallsOf(string connector) =>
        firewallConnectors.Where(f => f.Value.Contains(connector)).Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The connector an operator redirected this one's firewalls to, if any is in force and <paramref name="takesWork"/>.</summary>
    public string? RedirectedTarget(string connector, Func<string, bool> takesWork)
    {
        foreach (var (firewall, target) in _redirects)
        {
            if (target != connector && firewallConnectors.TryGetValue(firewall, out var sources) && sources.Contains(connector) && takesWork(target))
                return target;
        }
        return null;
    }

    public OperatorState ToState() => new(_suspended.Order(StringComparer.Ordinal).ToArray())
    {
        Redirects = new Dictionary<string, string>(_redirects),
        HeldMessages = _heldMessages.Order(StringComparer.Ordinal).ToArray(),
        HeldConnectors = _heldConnectors.Order(StringComparer.Ordinal).ToArray(),
        OutboundPaused = OutboundPaused,
    };
}
