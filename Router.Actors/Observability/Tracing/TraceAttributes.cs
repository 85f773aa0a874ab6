namespace Router.Actors.Observability.Tracing;

/// <summary>The names of the router's spans (low cardinality, as OpenTelemetry asks) and of their attributes.</summary>
public static class TraceAttributes
{
    /// <summary>An SMTP transaction at the edge, from MAIL FROM to the 250 (or 451): the root of a message's trace.</summary>
    public const string AcceptSpan = "accept";

    /// <summary>The accepted message written and fsync'd in the spool (group commit: the fsync is shared with other messages).</summary>
    public const string SpoolSpan = "spool fsync";

    /// <summary>The shadow copy sent to a peer before the 250, until a peer has it durable.</summary>
    public const string ShadowCopySpan = "shadow copy";

    /// <summary>The holder's side of a shadow copy: stored and fsync'd in its shadow spool.</summary>
    public const string ShadowStoreSpan = "shadow store";

    /// <summary>One placement decision for one part: a connector, a peer (spill-over), or parked.</summary>
    public const string RouteSpan = "route";

    /// <summary>One SMTP transaction with a firewall for one part.</summary>
    public const string AttemptSpan = "delivery attempt";

    /// <summary>A bounce or delay notice (RFC 3464) built, spooled and routed to the sender; the DSN's own spans are its children.</summary>
    public const string DsnSpan = "dsn";

    /// <summary>A part handed to a peer (spill-over, drain), until the peer has it durable.</summary>
    public const string HandoverSpan = "handover";

    /// <summary>The receiving node's side of a handover: stored in its spool; the part's spans there are its children.</summary>
    public const string HandoverReceiveSpan = "handover receive";

    public const string Node = "router.node";
    public const string QueueId = "router.queue_id";
    public const string Recipients = "router.recipients";
    public const string MessageSize = "router.message.size";
    public const string ClientAddress = "client.address";
    public const string ClientHelo = "router.client.helo";
    public const string ReplyCode = "router.reply.code";
    public const string Reply = "router.reply";
    public const string Connector = "router.connector";
    public const string Tier = "router.tier";
    public const string Decision = "router.route.decision";
    public const string Firewall = "router.firewall";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string Attempt = "router.attempt";
    public const string Outcome = "router.outcome";
    public const string Peer = "router.peer";
    public const string Reason = "router.reason";
    public const string RemoteQueueId = "router.remote_queue_id";
    public const string Owner = "router.owner";
    public const string DsnAction = "router.dsn.action";
    public const string DsnQueueId = "router.dsn.queue_id";
    public const string Handovers = "router.handovers";
}
