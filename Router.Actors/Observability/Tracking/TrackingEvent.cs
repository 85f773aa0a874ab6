namespace Router.Actors.Observability.Tracking;

/// <summary>
/// One line of the message tracking log: something that happened to one message (by its queue id)
/// on one node. Which fields are set depends on <see cref="Event"/> (see <see cref="TrackingEventKind"/>);
/// unset fields are left out of the JSON.
/// </summary>
public sealed record TrackingEvent
{
    /// <summary>When it happened (UTC).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>One of <see cref="TrackingEventKind"/>.</summary>
    public required string Event { get; init; }

    /// <summary>The spool's id of the message.</summary>
    public required string QueueId { get; init; }

    /// <summary>The node that wrote the line (stamped by the log).</summary>
    public string? Node { get; init; }

    /// <summary>received: the Message-ID header, as written (angle brackets included).</summary>
    public string? MessageId { get; init; }

    /// <summary>received: the client's IP address.</summary>
    public string? Client { get; init; }

    /// <summary>received: the EHLO/HELO name the client gave.</summary>
    public string? Helo { get; init; }

    /// <summary>received: MAIL FROM (empty for the null sender).</summary>
    public string? Sender { get; init; }

    /// <summary>The recipients the event is about (all of them for received; the part's for the others).</summary>
    public IReadOnlyList<string>? Recipients { get; init; }

    /// <summary>received: stored size in bytes.</summary>
    public long? Size { get; init; }

    /// <summary>routed, attempt, delivered, deferred, bounced, rerouted: the connector.</summary>
    public string? Connector { get; init; }

    /// <summary>routed: the tier the connector was chosen from, as "pattern;cost".</summary>
    public string? Tier { get; init; }

    /// <summary>attempt, delivered, deferred, bounced: the firewall.</summary>
    public string? Firewall { get; init; }

    /// <summary>attempt: how the SMTP transaction ended (completed, connect_failed, ...).</summary>
    public string? Outcome { get; init; }

    /// <summary>attempt, delivered, deferred, bounced: the firewall's reply code (0: no reply).</summary>
    public int? Code { get; init; }

    /// <summary>bounced, deleted: the RFC 3463 status given to the sender.</summary>
    public string? Status { get; init; }

    /// <summary>The firewall's reply text or the router's reason.</summary>
    public string? Reply { get; init; }

    /// <summary>attempt: the attempt's number for this part (1 for the first).</summary>
    public int? Attempt { get; init; }

    /// <summary>deferred: when the next attempt is due.</summary>
    public DateTimeOffset? NextAttempt { get; init; }

    /// <summary>dsn: the queue id of the delivery status notification sent to the sender.</summary>
    public string? DsnQueueId { get; init; }
}
