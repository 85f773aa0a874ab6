using Router.Actors.Routing;
using Router.Messages.Cluster;
using Router.Messages.Queue;

namespace Router.Node.Admin;

/// <summary>This node's queue and the operator commands on it (list, retry, hold, suspend, redirect, delete).</summary>
public sealed partial class NodeQueries
{
    /// <summary>This node's queue (no node column): what <c>GET /api/queue</c> answers when not clustered.</summary>
    public async Task<QueueView> QueueAsync(ListQueue query, CancellationToken cancellationToken)
    {
        var entries = await LocalQueueAsync(query, cancellationToken);
        return new QueueView(entries.Count, entries.Select(e => QueueRow.Of(null, e)).ToArray());
    }

    /// <summary>This node's queue entries; an unknown connector or firewall is a 404, an unknown state a 400.</summary>
    public async Task<IReadOnlyList<QueueEntry>> LocalQueueAsync(ListQueue query, CancellationToken cancellationToken)
    {
        if (query.Connector is { } connector)
            Connector(connector);
        if (query.Firewall is { } firewall)
            Firewall(firewall, null);
        CheckState(query);
        var listing = await AskAsync<QueueListing>(routing, query, "the routing actor", cancellationToken);
        return listing.Entries;
    }

    /// <summary>The state filter is checked where the request arrives: every node knows the same states.</summary>
    public static void CheckState(ListQueue query)
    {
        if (query.State is { } state && !PlacementStateNames.TryParse(state, out _))
            throw AdminException.BadRequest($"unknown queue state '{state}' (expected queued, deferred, parked or handing-over)");
    }

    /// <summary>Whether this node's spool holds the message (the node that answers for a queue id in a cluster).</summary>
    public bool HasMessage(string queueId) => spool.Contains(queueId);

    /// <summary>
    /// One operator queue command on this node, by its action name (the shape another member sends it in,
    /// <see cref="NodeQueueCommand"/>): the same checks and answer as the node's own admin routes.
    /// </summary>
    public Task<CommandResult> CommandAsync(NodeQueueCommand command, CancellationToken cancellationToken) => command.Action switch
    {
        "retry" => RetryAsync(command.Id, cancellationToken),
        "delete" => DeleteAsync(Needs(command.Id, "delete"), command.Bounce, cancellationToken),
        "hold" => HoldAsync(Needs(command.Id, "hold"), true, cancellationToken),
        "release" => HoldAsync(Needs(command.Id, "release"), false, cancellationToken),
        "suspend" => SuspendAsync(Needs(command.Id, "suspend"), cancellationToken),
        "resume" => ResumeAsync(Needs(command.Id, "resume"), cancellationToken),
        "redirect" => RedirectAsync(Needs(command.Id, "redirect"), Needs(command.To, "redirect"), cancellationToken),
        "cancel-redirect" => CancelRedirectAsync(Needs(command.Id, "cancel-redirect"), cancellationToken),
        "connector-hold" => ConnectorHoldAsync(Needs(command.Id, "connector hold"), true, cancellationToken),
        "connector-release" => ConnectorHoldAsync(Needs(command.Id, "connector release"), false, cancellationToken),
        "outbound-pause" => QueueCommandAsync(new HoldCommand(HoldTarget.Outbound, null, true), "outbound mail paused; mail is still accepted", cancellationToken),
        "outbound-resume" => QueueCommandAsync(new HoldCommand(HoldTarget.Outbound, null, false), "outbound mail resumed", cancellationToken),
        _ => throw AdminException.BadRequest($"unknown queue command '{command.Action}'"),
    };

    private static string Needs(string? value, string action) => value ?? throw AdminException.BadRequest($"{action} needs an id");

    /// <summary><c>connector hold|release &lt;id&gt;</c> on this node: its mail stays with it, unsent, until released.</summary>
    public Task<CommandResult> ConnectorHoldAsync(string connector, bool hold, CancellationToken cancellationToken)
    {
        Connector(connector);
        return QueueCommandAsync(new HoldCommand(HoldTarget.Connector, connector, hold),
            hold ? $"connector {connector} held; its mail stays with it, unsent" : $"connector {connector} released", cancellationToken);
    }

    /// <summary>
    /// <c>queue hold|release &lt;id&gt;</c> on this node. Holding needs the message in the spool; releasing does not
    /// (a hold kept for a message no longer here is cleared, 0 parts touched).
    /// </summary>
    public Task<CommandResult> HoldAsync(string queueId, bool hold, CancellationToken cancellationToken)
    {
        if (hold)
            QueuedMessage(queueId);
        return QueueCommandAsync(new HoldCommand(HoldTarget.Message, queueId, hold), $"message {queueId} {(hold ? "held" : "released")}", cancellationToken);
    }

    public Task<CommandResult> RetryAsync(string? queueId, CancellationToken cancellationToken)
    {
        if (queueId is not null)
            QueuedMessage(queueId);
        return QueueCommandAsync(new RetryQueue(queueId), queueId is null ? "every deferred and parked part is tried now" : $"{queueId} is tried now", cancellationToken);
    }

    public Task<CommandResult> SuspendAsync(string connector, CancellationToken cancellationToken) =>
        QueueCommandAsync(new SuspendConnector(Connector(connector).Id), $"connector {connector} suspended; its backlog is placed elsewhere", cancellationToken);

    public Task<CommandResult> ResumeAsync(string connector, CancellationToken cancellationToken) =>
        QueueCommandAsync(new ResumeConnector(Connector(connector).Id), $"connector {connector} resumed", cancellationToken);

    public Task<CommandResult> RedirectAsync(string firewall, string connector, CancellationToken cancellationToken)
    {
        Firewall(firewall, null);
        Connector(connector);
        return QueueCommandAsync(new RedirectFirewall(firewall, connector), $"mail for firewall {firewall} goes to connector {connector} until the redirect is cancelled", cancellationToken);
    }

    public Task<CommandResult> CancelRedirectAsync(string firewall, CancellationToken cancellationToken)
    {
        Firewall(firewall, null);
        return QueueCommandAsync(new CancelRedirect(firewall), $"redirect of firewall {firewall} cancelled", cancellationToken);
    }

    public Task<CommandResult> DeleteAsync(string queueId, bool bounce, CancellationToken cancellationToken)
    {
        QueuedMessage(queueId);
        return QueueCommandAsync(new DeleteMessage(queueId, bounce), bounce ? $"{queueId} deleted; its sender gets a bounce" : $"{queueId} deleted without a bounce", cancellationToken);
    }

    private void QueuedMessage(string queueId)
    {
        if (!spool.Contains(queueId))
            throw AdminException.NotFound($"no message '{queueId}' in the queue");
    }

    private async Task<CommandResult> QueueCommandAsync(object command, string message, CancellationToken cancellationToken)
    {
        var done = await AskAsync<QueueCommandDone>(routing, command, "the routing actor", cancellationToken);
        return new CommandResult(done.Command, done.Affected, message);
    }
}
