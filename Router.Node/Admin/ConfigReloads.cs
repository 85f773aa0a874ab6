using Akka.Actor;
using Router.Actors.Configuration;
using Router.Messages.Configuration;

namespace Router.Node.Admin;

/// <summary>One node's reload, as the admin API answers it.</summary>
/// <param name="Outcome">applied, unchanged or refused.</param>
public sealed record NodeReload(string Node, string Address, string Outcome, string? Error, string? Changes, string Hash, DateTimeOffset LoadedAt)
{
    public static NodeReload From(ConfigReloadResult result) =>
        new(result.Node, result.Address, result.Outcome.ToString().ToLowerInvariant(), result.Error, result.Changes, result.Hash, result.LoadedAt);
}

/// <summary><c>POST /api/config/reload?all-nodes=true</c>: every member's answer.</summary>
public sealed record ClusterReload(IReadOnlyList<NodeReload> Nodes);

/// <summary>
/// <c>router cmd config reload [--all-nodes]</c>: asks this node's <c>/user/config</c>, or every Up
/// member's, to read its own configuration file again (<see cref="ConfigReloadActor"/>).
/// </summary>
public sealed class ConfigReloads(ActorSystem system, string nodeName, bool clustered)
{
    /// <summary>
    /// A reload reads and validates the file and waits (up to 10 s) for the router to place queued mail again;
    /// under the operator client's 15 s, so that a member that does not answer is reported as such.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(12);

    /// <summary>This node's reload; refused is an error answer (409) naming the key(s), as the log line does.</summary>
    public async Task<NodeReload> ReloadAsync(CancellationToken cancellationToken)
    {
        var result = await AskAsync(system.ActorSelection($"/user/{ConfigReloadActor.Name}"), "admin API", "this node", cancellationToken);
        return result.Outcome == ConfigReloadOutcome.Refused
            ? throw new AdminException(AdminException.StatusCodes.Conflict,
                $"configuration reload refused, nothing applied: {result.Error?.Replace("\n", "; ", StringComparison.Ordinal)}")
            : NodeReload.From(result);
    }

    /// <summary>Every Up member reloads its own file; each one's answer (a member that does not answer in time is refused with the reason).</summary>
    public async Task<ClusterReload> ReloadAllAsync(CancellationToken cancellationToken)
    {
        if (!clustered)
            return new ClusterReload([NodeReload.From(await AskAsync(system.ActorSelection($"/user/{ConfigReloadActor.Name}"), "admin API", "this node", cancellationToken))]);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var members = cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up).Select(m => m.Address)
            .OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        var requestedBy = $"router cmd config reload --all-nodes via {nodeName} ({cluster.SelfAddress})";
        var answers = await Task.WhenAll(members.Select(async address =>
        {
            var selection = system.ActorSelection(new RootActorPath(address) / "user" / ConfigReloadActor.Name);
            try
            {
                return NodeReload.From(await AskAsync(selection, requestedBy, address.ToString(), cancellationToken));
            }
            catch (AdminException e)
            {
                return new NodeReload(address.ToString(), address.ToString(), "refused", e.Message, null, string.Empty, default);
            }
        }));
        return new ClusterReload(answers);
    }

    private static async Task<ConfigReloadResult> AskAsync(ActorSelection config, string requestedBy, string who, CancellationToken cancellationToken)
    {
        try
        {
            return await config.Ask<ConfigReloadResult>(new ReloadConfig(requestedBy), Timeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            throw new AdminException(AdminException.StatusCodes.Unavailable, $"{who} did not answer the reload within {Timeout.TotalSeconds:0}s");
        }
    }
}
