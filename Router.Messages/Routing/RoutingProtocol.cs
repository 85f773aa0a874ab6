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
/// A connector's load as the connector itself counts it, sent with every message it sends the
/// router. The router adds the jobs it placed there since (<c>its EnqueueJob count − Enqueued</c>),
/// which are still in the connector's mailbox; it never counts the backlog itself.
/// </summary>
/// <param name="Backlog">Jobs taken and not yet finished: waiting here, queued at or running on a firewall.</param>
/// <param name="Enqueued">Every <see cref="EnqueueJob"/> the connector has taken since it started.</param>
public sealed record ConnectorLoad(int Backlog, long Enqueued) : IRouterProtocol
{
    public static ConnectorLoad None { get; } = new(0, 0);
}

/// <summary>How a job left its connector.</summary>
public enum JobRelease
{
    /// <summary>No recipient of the job is pending at the connector any more (delivered, failed or set aside to the bounce).</summary>
    Finished,

    /// <summary>Some recipients were deferred: <see cref="JobReleased.Next"/> waits for its retry, which the router schedules.</summary>
    Deferred,

    /// <summary>The firewall failed, not the message: <see cref="JobReleased.Next"/> is placed again at once, elsewhere when possible.</summary>
    PlaceElsewhere,
}

/// <summary>
/// Connector → router: the connector is done with a job it was given. <paramref name="Next"/> is the
/// part still to deliver (null when <paramref name="Release"/> is <see cref="JobRelease.Finished"/>).
/// </summary>
/// <param name="Detail">The last reply or local error, for the retry's and the bounce's texts.</param>
public sealed record JobReleased(string ConnectorId, DeliveryJob Job, JobRelease Release, DeliveryJob? Next, string Detail, ConnectorLoad Load) : IRouterProtocol
{
    /// <summary>The firewall of the attempt that released the job.</summary>
    public string? FirewallId { get; init; }
}

/// <summary>Why a router asks a connector for its waiting jobs back.</summary>
public enum HandBackReason
{
    /// <summary>An operator suspended the connector.</summary>
    ConnectorSuspended,

    /// <summary>An operator redirected the mail of one of the connector's firewalls to another connector.</summary>
    FirewallRedirected,

    /// <summary>An operator deleted a message.</summary>
    MessageDeleted,

    /// <summary>The node is leaving the cluster: everything goes to the other nodes.</summary>
    NodeLeaving,

    /// <summary>An operator held a message: its parts wait in the router's table until released.</summary>
    MessageHeld,

    /// <summary>An operator held the connector: its backlog waits in the router's table, still its own, until released.</summary>
    ConnectorHeld,

    /// <summary>An operator paused all outbound mail.</summary>
    OutboundPaused,
}

/// <summary>
/// Router → connector: give back the jobs you have not yet sent to a firewall, as a
/// <see cref="JobsHandedBack"/>. Only operators and a leaving node ask; none of it says anything
/// about the connector's health.
/// </summary>
public sealed record HandBackJobs(HandBackReason Reason, string? RedirectTo = null, string? OnlyQueueId = null) : IRouterProtocol;

/// <summary>Connector → router: the jobs a <see cref="HandBackJobs"/> asked for; the router places them again at once.</summary>
public sealed record JobsHandedBack(string ConnectorId, IReadOnlyList<DeliveryJob> Jobs, HandBackReason Reason, ConnectorLoad Load) : IRouterProtocol
{
    /// <summary>Set when an operator redirected this backlog: place it on this connector.</summary>
    public string? RedirectTo { get; init; }
}
