namespace Router.Messages.Queue;

/// <summary>What an operator holds or releases (<see cref="HoldCommand"/>).</summary>
public enum HoldTarget
{
    /// <summary>One message, by queue id: none of its parts is sent until released.</summary>
    Message,

    /// <summary>One connector: mail placed on it stays there, unsent, and is not moved elsewhere (unlike a suspension).</summary>
    Connector,

    /// <summary>All outbound mail of the node: nothing is sent until resumed; mail is still accepted (until back pressure).</summary>
    Outbound,
}

/// <summary>
/// Operator → router: hold (<paramref name="Hold"/> true) or release a message, a connector or all outbound mail.
/// Held mail stays in the spool and in the router's table (state <c>held</c>); attempts already under way finish.
/// Kept across restarts. Answered with <see cref="QueueCommandDone"/> (the parts it touched).
/// </summary>
/// <param name="Id">The queue id or connector id; null for <see cref="HoldTarget.Outbound"/>.</param>
public sealed record HoldCommand(HoldTarget Target, string? Id, bool Hold) : IRouterProtocol;
