namespace Router.Actors.Configuration;

/// <summary><c>router.shadow</c>: whether a copy of each message goes to a peer before <c>250</c>.</summary>
public enum ShadowMode
{
    /// <summary>No shadow copies (always so when the node runs alone).</summary>
    Off,

    /// <summary>A copy goes to a peer; without an acknowledgement in time the message is still accepted, with a warning.</summary>
    Preferred,

    /// <summary>A copy goes to a peer; without an acknowledgement in time the client gets <c>451 4.4.0</c>, never a <c>250</c>.</summary>
    Required,
}

/// <summary>
/// Shadow redundancy (README "Shadow redundancy"): <c>router.shadow</c>, <c>router.shadow-timeout</c>,
/// <c>router.shadow-promote-after</c>, <c>router.shadow-port</c>.
/// </summary>
public sealed record ShadowOptions
{
    /// <summary><c>shadow</c>: off, preferred or required. Default preferred; in effect only in a cluster.</summary>
    public ShadowMode Mode { get; init; } = ShadowMode.Preferred;

    /// <summary><c>shadow-timeout</c>: how long the acknowledgement of a peer may take before the <c>250</c>. Default 5s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>shadow-deliver-first</c> (with <see cref="ShadowMode.Preferred"/>): how long the <c>250</c> waits for the
    /// message to leave this node (delivered to its firewall, or bounced) before a copy goes to a peer. A message that
    /// has left by then needs no copy (the next hop has it); one still here gets its copy as before, so no message is
    /// answered without being either delivered or on two nodes (unless no peer took the copy). Zero: the copy goes
    /// alongside the local fsync, for every message. Default 100ms. With <see cref="ShadowMode.Required"/> every
    /// message is copied before it is routed, as before (a failed copy must be able to withdraw it).
    /// </summary>
    public TimeSpan DeliverFirst { get; init; } = DefaultDeliverFirst;

    /// <summary>The default of <see cref="DeliverFirst"/>.</summary>
    public static readonly TimeSpan DefaultDeliverFirst = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// <c>shadow-promote-after</c>: how long a holder waits after the owner was removed from the cluster before it
    /// delivers the owner's shadow copies itself; a new incarnation of the owner joining in that time (a restart,
    /// with its own spool) has them discarded instead. Default 30s.
    /// </summary>
    public TimeSpan PromoteAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>shadow-port</c>: the TCP port (on <c>cluster.hostname</c>) where this node takes peers' shadow copies straight,
    /// instead of through Akka remoting; 0 takes any free port (peers learn it over remoting). Null (<c>off</c>): copies
    /// come and go through remoting only. Default 0.
    /// </summary>
    public int? Port { get; init; } = 0;
}
