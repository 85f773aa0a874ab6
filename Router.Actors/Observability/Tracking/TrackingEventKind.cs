namespace Router.Actors.Observability.Tracking;

/// <summary>The values of <see cref="TrackingEvent.Event"/>.</summary>
public static class TrackingEventKind
{
    /// <summary>Accepted at the SMTP edge (durable, 250 sent).</summary>
    public const string Received = "received";

    /// <summary>A part placed on a connector.</summary>
    public const string Routed = "routed";

    /// <summary>A part with no usable connector: it waits for a path to recover.</summary>
    public const string Parked = "parked";

    /// <summary>A part handed back by its connector to be placed elsewhere.</summary>
    public const string Rerouted = "rerouted";

    /// <summary>One SMTP transaction with a firewall ended.</summary>
    public const string Attempt = "attempt";

    /// <summary>Recipients a firewall accepted (2xx).</summary>
    public const string Delivered = "delivered";

    /// <summary>Recipients a firewall deferred (4xx): retried at <see cref="TrackingEvent.NextAttempt"/>.</summary>
    public const string Deferred = "deferred";

    /// <summary>Recipients that failed for good, journaled as failed (the sender gets a DSN unless it is &lt;&gt; or asked for none).</summary>
    public const string Bounced = "bounced";

    /// <summary>
    /// A delivery status notification (a bounce or a delay notice) about these recipients was queued
    /// to the sender as <see cref="TrackingEvent.DsnQueueId"/>, whose own history starts with "received".
    /// </summary>
    public const string Dsn = "dsn";

    /// <summary>Recipients an operator deleted without a bounce.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>An operator deleted the message.</summary>
    public const string Deleted = "deleted";

    /// <summary>
    /// Recipients handed to another node (spill-over or drain), which has them durable under its own queue id:
    /// <see cref="TrackingEvent.Reply"/> names the node and that id; the rest of their history is in that node's log.
    /// </summary>
    public const string HandedOver = "handed-over";
}
