namespace Router.Messages.Routing;

/// <summary>Operator → router: how would mail for this address be routed right now, step by step?</summary>
public sealed record ExplainRoute(string Address) : IRouterProtocol
{
    /// <summary>The envelope sender of the message to route (<c>""</c> for the null sender): connectors' sender restrictions apply.</summary>
    public string? Sender { get; init; }

    /// <summary>The message's size in bytes: connectors' <c>max-message-size</c> applies.</summary>
    public long? Size { get; init; }
}

/// <summary>
/// The router's answer to <see cref="ExplainRoute"/>: every address space that matched, the tiers
/// they form (best first) with each connector's state, and the connector the router would pick now.
/// </summary>
/// <param name="Domain">The recipient domain, normalised; empty when the address has none.</param>
/// <param name="Error">Why the address cannot be routed at all (no domain, invalid domain), or null.</param>
/// <param name="Chosen">The connector a job would be placed on now; null when no route or no path is up (parked).</param>
/// <param name="RedirectedFrom">When an operator redirect moved the choice: the connector the tiers picked.</param>
/// <param name="Verdict">One line for people.</param>
public sealed record RouteExplanation(
    string Address,
    string Domain,
    string? Error,
    IReadOnlyList<AddressSpaceMatch> Matches,
    IReadOnlyList<RouteTierView> Tiers,
    string? Chosen,
    string? RedirectedFrom,
    string Verdict) : IRouterProtocol
{
    /// <summary>
    /// The rule that decided which patterns may carry the mail: the most specific one and, when less specific
    /// patterns also matched, whether mail is pinned to it (<c>fallback = off</c>) or may fall back to them.
    /// Null when there is no route.
    /// </summary>
    public string? Rule { get; init; }
}

/// <summary>
/// One connector's address space that matched the domain. <paramref name="Tier"/> is the 1-based tier it placed its
/// connector in, 0 when the connector already sits in a better tier, -1 when it is not used because the mail is pinned
/// to a more specific pattern (<c>fallback = off</c>).
/// </summary>
public sealed record AddressSpaceMatch(string Connector, string Pattern, int Cost, int Tier) : IRouterProtocol;

/// <summary>One tier of a route: connectors that matched with the same pattern and cost and share the load.</summary>
public sealed record RouteTierView(int Rank, string Pattern, int Cost, IReadOnlyList<ConnectorState> Connectors) : IRouterProtocol;

/// <summary>Operator → router: the state of every connector as the router sees it.</summary>
public sealed record GetConnectorStates : IRouterProtocol
{
    public static GetConnectorStates Instance { get; } = new();
}

/// <summary>Reply to <see cref="GetConnectorStates"/>. <paramref name="Redirects"/> maps a firewall to the connector an operator redirected its mail to.</summary>
public sealed record ConnectorStates(IReadOnlyList<ConnectorState> Connectors, IReadOnlyDictionary<string, string> Redirects, int Parked) : IRouterProtocol;

/// <summary>
/// One connector as the router sees it. <paramref name="State"/> is <c>usable</c>, <c>down</c> (no
/// firewall of it takes work), <c>suspended</c> (by an operator) or <c>detached</c> (no actor yet).
/// <paramref name="Backlog"/> counts the jobs placed on it and not yet finished.
/// <paramref name="RedirectTo"/> is the connector its mail goes to instead, by an operator redirect.
/// </summary>
public sealed record ConnectorState(string ConnectorId, string State, int Backlog, IReadOnlyList<string> Firewalls, string? RedirectTo) : IRouterProtocol;

/// <summary>
/// Published on the event stream by the router for operators (the <c>tail</c> command, later the
/// dashboard): mail rerouted, a connector down or usable again, mail parked, an operator command.
/// </summary>
/// <param name="Kind"><c>rerouted</c>, <c>connector-down</c>, <c>connector-usable</c>, <c>parked</c> or <c>operator</c>.</param>
/// <param name="Subject">The connector (or firewall, message) the event is about.</param>
/// <param name="Count">Jobs concerned, where that means something; otherwise 0.</param>
public sealed record RoutingEvent(string Kind, string Subject, int Count, string Detail, DateTimeOffset At) : IRouterProtocol;
