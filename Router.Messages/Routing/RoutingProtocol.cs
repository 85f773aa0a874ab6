using Router.Messages.Delivery;

namespace Router.Messages.Routing;

/// <summary>
/// Ingress/recovery → router: a message is durable in the spool and these of its recipients still
/// need delivering. The router splits them by route and places each part.
/// </summary>
public sealed record MessageSpooled(string QueueId, Envelope Envelope, long Length, IReadOnlyList<int> PendingRecipients) : IRouterProtocol
{
    /// <summary>For mail recovered from the spool: its position in the retry schedule.</summary>
    public int Deferrals { get; init; }

    /// <summary>For mail recovered from the spool: when it is next due, if it was deferred.</summary>
    public DateTimeOffset? NextAttempt { get; init; }
}

/// <summary>Router → connector: take this job into your backlog.</summary>
public sealed record EnqueueJob(DeliveryJob Job) : IRouterProtocol;

/// <summary>
/// Connector → router: the connector is done with a job it was given. <paramref name="Retry"/>
/// holds the recipients that still need delivering (a transient failure), to be placed again after
/// <paramref name="RetryAfter"/>; null when every recipient is finished.
/// </summary>
public sealed record JobReleased(string ConnectorId, DeliveryJob Job, DeliveryJob? Retry, TimeSpan RetryAfter, string Reason) : IRouterProtocol;

/// <summary>
/// Connector → router: these jobs cannot be delivered through this connector now (no firewall of
/// it can take them); place them again at once on another connector.
/// </summary>
public sealed record JobsRerouted(string ConnectorId, IReadOnlyList<DeliveryJob> Jobs, string Reason) : IRouterProtocol
{
    /// <summary>Set when an operator redirected this backlog: place it on this connector.</summary>
    public string? RedirectTo { get; init; }
}

/// <summary>
/// Router → connector: give back the jobs you have not yet sent to a firewall (the connector was
/// suspended, its mail redirected, or a message deleted), as a <see cref="JobsRerouted"/>.
/// </summary>
public sealed record HandBackJobs(string Reason, string? RedirectTo = null, string? OnlyQueueId = null) : IRouterProtocol;
