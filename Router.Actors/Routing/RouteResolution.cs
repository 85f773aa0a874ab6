namespace Router.Actors.Routing;

/// <summary>
/// What the address-space table made of one recipient domain (and message), with the rules that cut it, for
/// operators (<c>route test</c>) and for the bounce of mail no connector will carry.
/// </summary>
/// <param name="Tiers">The tiers mail takes, best first.</param>
/// <param name="PinnedTo">
/// The pattern the mail is pinned to when less specific matching patterns were left out because a connector of it
/// has <c>fallback = off</c>; null when nothing was left out that way.
/// </param>
/// <param name="Refused">When connectors matched but every one refused the message: the reason (size before sender).</param>
/// <param name="Excluded">Each matching connector its restrictions left out for this message, and why.</param>
public sealed record RouteResolution(
    IReadOnlyList<RouteTier> Tiers,
    string? PinnedTo,
    Restriction? Refused,
    IReadOnlyList<(string Connector, Restriction Why)> Excluded);
