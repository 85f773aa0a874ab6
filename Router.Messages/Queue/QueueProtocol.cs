namespace Router.Messages.Queue;

/// <summary>Operator → router: list queued mail; every filter is optional.</summary>
/// <param name="State">queued (with a connector), deferred (waiting for its retry), parked (no path up).</param>
public sealed record ListQueue(string? Connector = null, string? Firewall = null, string? State = null, string? Sender = null) : IRouterProtocol;

/// <summary>One part of a queued message and where it stands.</summary>
public sealed record QueueEntry(
    string QueueId,
    string Sender,
    IReadOnlyList<string> Recipients,
    string State,
    string? Connector,
    DateTimeOffset? NextAttempt,
    int Attempts) : IRouterProtocol;

public sealed record QueueListing(IReadOnlyList<QueueEntry> Entries) : IRouterProtocol;

/// <summary>Operator → router: deferred and parked mail (all, or one message) is tried now.</summary>
public sealed record RetryQueue(string? QueueId = null) : IRouterProtocol;

/// <summary>Operator → router: no new work for this connector until resumed; its backlog is placed elsewhere. Survives a restart.</summary>
public sealed record SuspendConnector(string ConnectorId) : IRouterProtocol;

public sealed record ResumeConnector(string ConnectorId) : IRouterProtocol;

/// <summary>
/// Operator → router: mail waiting at the connectors that deliver through this firewall goes to
/// that connector instead, and so does mail routed there later, until <see cref="CancelRedirect"/>.
/// Survives a restart.
/// </summary>
public sealed record RedirectFirewall(string FirewallId, string ConnectorId) : IRouterProtocol;

/// <summary>Operator → router: end a <see cref="RedirectFirewall"/>; routing goes back to the address spaces.</summary>
public sealed record CancelRedirect(string FirewallId) : IRouterProtocol;

/// <summary>Operator → router: remove a message; its sender gets a bounce when <paramref name="Bounce"/> is set.</summary>
public sealed record DeleteMessage(string QueueId, bool Bounce) : IRouterProtocol;

/// <summary>Reply to every queue command: how many parts it touched (0 is not an error: commands are idempotent).</summary>
public sealed record QueueCommandDone(string Command, int Affected) : IRouterProtocol;
