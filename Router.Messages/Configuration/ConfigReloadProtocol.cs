namespace Router.Messages.Configuration;

/// <summary>
/// To a node's <c>/user/config</c> (possibly from another node, for <c>router cmd config reload --all-nodes</c>):
/// read the node's own <c>--config</c> file again and apply it if it is valid and needs no restart.
/// Answered with <see cref="ConfigReloadResult"/>.
/// </summary>
/// <param name="RequestedBy">Who asked (<c>SIGHUP</c>, <c>admin API</c>, another node), for the log and the event.</param>
public sealed record ReloadConfig(string RequestedBy) : IRouterProtocol;

/// <summary>How a reload ended.</summary>
public enum ConfigReloadOutcome
{
    /// <summary>The file was valid and its changes are in force.</summary>
    Applied,

    /// <summary>The file was valid; nothing in it differs from the running configuration (a renewed certificate file is applied all the same).</summary>
    Unchanged,

    /// <summary>The file is broken, or changes a key only a restart can change: the node runs on as before and nothing was applied.</summary>
    Refused,
}

/// <summary>One node's answer to <see cref="ReloadConfig"/>.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Address">The node's cluster address (its name when not clustered).</param>
/// <param name="Error">Refused: every problem, one line each, each starting with the key at fault.</param>
/// <param name="Changes">Applied: what changed, one line.</param>
/// <param name="Hash">SHA-256 of the configuration file now in force (the old one after a refusal).</param>
/// <param name="LoadedAt">When the configuration in force was loaded.</param>
public sealed record ConfigReloadResult(string Node, string Address, ConfigReloadOutcome Outcome, string? Error, string? Changes, string Hash,
    DateTimeOffset LoadedAt) : IRouterProtocol;
