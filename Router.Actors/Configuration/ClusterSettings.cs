namespace Router.Actors.Configuration;

/// <summary>
/// <c>router.cluster</c>: whether this node joins other nodes in an Akka.NET cluster, and how it is
/// reached. Off by default: a node runs alone, with no remoting port.
/// </summary>
public sealed record ClusterSettings
{
    /// <summary>The actor system name; every node of one cluster has the same one, and seed node addresses name it.</summary>
    public const string SystemName = "router";

    /// <summary><c>enabled</c>: join a cluster (remoting on, seed nodes, split brain resolver). Default off.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>hostname</c>: the address remoting binds to. Default 127.0.0.1.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary><c>port</c>: the remoting TCP port; 0 takes any free port (tests). Default 4053.</summary>
    public int Port { get; init; } = 4053;

    /// <summary><c>public-hostname</c>: the name other nodes reach this one by, when it differs from <see cref="Hostname"/> (0.0.0.0, NAT). Default: hostname.</summary>
    public string? PublicHostname { get; init; }

    /// <summary>
    /// <c>seed-nodes</c>: addresses such as <c>akka.tcp://router@10.0.0.1:4053</c> to join through.
    /// Empty: the node forms a cluster of its own, which others can join. Default empty.
    /// </summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary><c>roles</c>: this node's cluster roles. Default none.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary><c>min-nr-of-members</c>: members needed before the leader moves joining nodes to Up. Default 1.</summary>
    public int MinNrOfMembers { get; init; } = 1;

    // Spill-over and leave (issue 5).

    /// <summary><c>spill-over</c>: handing mail to a peer with healthy capacity when this node has none, or too much backlog.</summary>
    public SpillOverSettings SpillOver { get; init; } = new();

    /// <summary><c>drain-timeout</c>: how long a leaving node tries to hand its queue to peers before it leaves anyway. Default 5m.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>bootstrap</c>: forming the cluster through Cluster Bootstrap and Akka.Discovery instead of seed nodes (issue 15).</summary>
    public BootstrapSettings Bootstrap { get; init; } = new();
}

/// <summary><c>router.cluster.spill-over</c>.</summary>
public sealed record SpillOverSettings
{
    /// <summary><c>enabled</c>: spill mail to peers at all. Default on (only matters when clustered).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// <c>backlog-threshold</c>: jobs placed on the connectors of a tier on this node (queued or in flight) past which new
    /// mail for that tier goes to a peer with healthy capacity in it. 0 turns backlog spill-over off. Default 5000.
    /// </summary>
    public int BacklogThreshold { get; init; } = 5000;

    /// <summary>
    /// <c>max-handovers</c>: times one message may be spilled from node to node (no ping-pong); a leaving node's drain is not
    /// bounded by it. Default 1: mail taken over is delivered by the node that took it (or waits there).
    /// </summary>
    public int MaxHandovers { get; init; } = 1;

    /// <summary><c>transfer-timeout</c>: a handover not acknowledged by the receiver within this fails (the mail stays here). Default 2m.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>max-concurrent</c>: handovers in progress at once from this node. Default 16.</summary>
    public int MaxConcurrent { get; init; } = 16;
}
