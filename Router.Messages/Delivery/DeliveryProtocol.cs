namespace Router.Messages.Delivery;

/// <summary>Connector → firewall: deliver this job; the answer is a <see cref="DeliveryAttempted"/>.</summary>
public sealed record DeliverJob(DeliveryJob Job) : IRouterProtocol;

/// <summary>Firewall → connector: one attempt of one job has ended.</summary>
public sealed record DeliveryAttempted(string FirewallId, DeliveryJob Job, DeliveryResult Result) : IRouterProtocol;

/// <summary>
/// Firewall → connector: jobs it had queued but not started, handed back so the connector can
/// place them elsewhere (the firewall tripped, was drained, or is stopping).
/// </summary>
public sealed record JobsReturned(string FirewallId, IReadOnlyList<DeliveryJob> Jobs, string Reason) : IRouterProtocol
{
    /// <summary>
    /// A configuration reload: the jobs go back to the router to be placed under the new routing, not to the
    /// connector's other firewalls (their route may not run through this connector any more).
    /// </summary>
    public bool Reroute { get; init; }
}
