using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Http;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Queue;

namespace Router.Node.Admin;

/// <summary>
/// Issue 17, "one router to operate": the queue commands and <c>cluster show</c> of any node reach every member.
/// The node asked sends each Up member's <c>/user/node-admin</c> (<see cref="NodeAdminActor"/>) the command over Akka
/// remoting, itself included, as <see cref="ConfigReloads"/> does for a reload, and gathers the answers: each member
/// checks the command against its own spool and configuration. Not clustered, every call is this node's own
/// (<see cref="NodeQueries"/>), answered as before.
/// </summary>
/// <remarks>
/// A queue id is acted on by the member whose spool holds it (the others answer 404, and 404 it is when none has it);
/// connector suspend and resume, firewall redirects and a retry of everything act on every member, or on the one named
/// by <c>node</c> (a node name or cluster address).
/// </remarks>
public sealed class ClusterOperations(ActorSystem system, NodeQueries node, DashboardSamples samples, IActorRef routing, MessageSpool spool,
    MessageTrackingLog tracking)
{
    /// <summary>Bytes of a message per export chunk between members: well under the remoting frame once encoded.</summary>
    public const int ExportChunk = 48 * 1024;
    /// <summary>How long a member may take to answer; under the operator client's 15 s.</summary>
    public static readonly TimeSpan RemoteTimeout = TimeSpan.FromSeconds(5);

    private static readonly HashSet<string> ByQueueId = ["retry", "delete", "hold", "release"];

    // ---- Answered for other members (and for this node's own cluster-wide requests) by NodeAdminActor.

    /// <summary>This node's figures for <c>cluster show</c>.</summary>
    public NodeStatus LocalStatus()
    {
        var statistics = node.SpoolStatistics;
        var (accepted, delivered, seconds) = samples.Rates(DashboardSamples.RateWindow);
        var config = node.Config;
        return new NodeStatus(node.NodeName, node.Address, statistics.MessagesQueued, statistics.BytesQueued, accepted, delivered, seconds,
            config.Hash, config.RoutingHash, node.UpSince);
    }

    /// <summary>This node's queue, for the member that lists the cluster's.</summary>
    public async Task<NodeQueueListing> LocalQueueAsync(ListNodeQueue request, CancellationToken cancellationToken)
    {
        try
        {
            return new NodeQueueListing(node.NodeName, node.Address, await node.LocalQueueAsync(request.Query, cancellationToken), null);
        }
        catch (AdminException e)
        {
            return new NodeQueueListing(node.NodeName, node.Address, [], e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            return new NodeQueueListing(node.NodeName, node.Address, [], $"failed: {e.Message}");
        }
    }

    /// <summary>A queue command on this node; a queue id this spool does not hold is a 404 (another member may hold it).</summary>
    public async Task<NodeCommandResult> LocalCommandAsync(NodeQueueCommand command, CancellationToken cancellationToken)
    {
        try
        {
            if (command.Id is { } id && ByQueueId.Contains(command.Action) && !node.HasMessage(id))
                throw AdminException.NotFound($"no message '{id}' in the queue");
            var done = await node.CommandAsync(command, cancellationToken);
            return new NodeCommandResult(node.NodeName, node.Address, 200, done.Command, done.Affected, done.Message);
        }
        catch (AdminException e)
        {
            return new NodeCommandResult(node.NodeName, node.Address, e.Status, command.Action, 0, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            return new NodeCommandResult(node.NodeName, node.Address, AdminException.StatusCodes.Unavailable, command.Action, 0, $"failed: {e.Message}");
        }
    }

    /// <summary><c>queue show</c> of a message in this node's spool, for the member that was asked.</summary>
    public async Task<NodeMessageShown> LocalShowAsync(ShowNodeMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var view = await QueueHoldApi.ShowLocalAsync(request.QueueId, routing, spool, tracking, cancellationToken);
            return new NodeMessageShown(node.NodeName, node.Address, 200, JsonSerializer.Serialize(view, AdminJson.Options));
        }
        catch (AdminException e)
        {
            return new NodeMessageShown(node.NodeName, node.Address, e.Status, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException or AskTimeoutException)
        {
            return new NodeMessageShown(node.NodeName, node.Address, AdminException.StatusCodes.Unavailable, $"failed: {e.Message}");
        }
    }

    /// <summary>A chunk of a message in this node's spool, for the member that exports it.</summary>
    public async Task<NodeMessageChunk> LocalChunkAsync(ExportNodeMessage request, CancellationToken cancellationToken)
    {
        try
        {
            if (!spool.Contains(request.QueueId))
                return new NodeMessageChunk(node.NodeName, AdminException.StatusCodes.NotFound, [], true);
            var (data, end) = await QueueHoldApi.ChunkLocalAsync(spool, request.QueueId, request.Offset, Math.Min(request.Length, ExportChunk), cancellationToken);
            return new NodeMessageChunk(node.NodeName, 200, data, end);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException or KeyNotFoundException)
        {
            // Delivered (and removed) meanwhile, or the spool is stopping.
            return new NodeMessageChunk(node.NodeName, AdminException.StatusCodes.NotFound, [], true);
        }
    }

    // ---- The admin routes.

    /// <summary><c>GET /api/queue/{id}</c> for a message this node does not hold: the member that holds it shows it (its JSON as it gave it).</summary>
    public async Task<string> ShowElsewhereAsync(string id, CancellationToken cancellationToken)
    {
        if (!node.Clustered)
            throw AdminException.NotFound($"no message '{id}' in the queue");
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var others = (await TargetsAsync(null, cancellationToken)).Where(a => a != self).ToArray();
        var answers = await Task.WhenAll(others.Select(a => AskAsync<NodeMessageShown>(a, new ShowNodeMessage(id), cancellationToken)));
        if (answers.FirstOrDefault(a => a?.Status == 200) is { } shown)
            return shown.Json;
        if (answers.FirstOrDefault(a => a is not null && a.Status != AdminException.StatusCodes.NotFound) is { } failed)
            throw new AdminException(failed.Status, $"{failed.Node}: {failed.Json}");
        throw answers.Any(a => a is null)
            ? new AdminException(AdminException.StatusCodes.Unavailable, $"no node that answered has message '{id}'; a member did not answer")
            : AdminException.NotFound($"no message '{id}' in the queue of any node");
    }

    /// <summary>
    /// <c>GET /api/queue/{id}/eml</c> for a message this node does not hold: the bytes come from the member that holds it,
    /// chunk by chunk over remoting, streamed on as they arrive.
    /// </summary>
    public async Task<IResult> ExportElsewhereAsync(string id, CancellationToken cancellationToken)
    {
        if (!node.Clustered)
            throw AdminException.NotFound($"no message '{id}' in the queue");
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var others = (await TargetsAsync(null, cancellationToken)).Where(a => a != self).ToArray();
        // The first chunk says which member holds it, before the response starts (a 404 is still possible then).
        var firsts = await Task.WhenAll(others.Select(async a => (Address: a, Chunk: await AskAsync<NodeMessageChunk>(a, new ExportNodeMessage(id, 0, ExportChunk), cancellationToken))));
        if (firsts.FirstOrDefault(f => f.Chunk?.Status == 200) is not { Chunk: not null } holder)
            throw firsts.Any(f => f.Chunk is null)
                ? new AdminException(AdminException.StatusCodes.Unavailable, $"no node that answered has message '{id}'; a member did not answer")
                : AdminException.NotFound($"no message '{id}' in the queue of any node");
        return Results.Stream(async output =>
        {
            var chunk = holder.Chunk;
            long offset = 0;
            while (true)
            {
                await output.WriteAsync(chunk.Data, cancellationToken);
                offset += chunk.Data.Length;
                if (chunk.End)
                    return;
                chunk = await AskAsync<NodeMessageChunk>(holder.Address, new ExportNodeMessage(id, offset, ExportChunk), cancellationToken) is { Status: 200 } next
                    ? next
                    : throw new IOException($"node {holder.Chunk.Node} stopped giving message '{id}' after {offset} bytes");
            }
        }, "message/rfc822", $"{id}.eml");
    }

    /// <summary><c>GET /api/queue</c>: every member's queue with its node's name (or <paramref name="onNode"/>'s).</summary>
    public async Task<QueueView> QueueAsync(ListQueue query, string? onNode, CancellationToken cancellationToken)
    {
        if (!node.Clustered)
        {
            node.CheckSelf(onNode);
            return await node.QueueAsync(query, cancellationToken);
        }
        NodeQueries.CheckState(query);
        var targets = await TargetsAsync(onNode, cancellationToken);
        var answers = await Task.WhenAll(targets.Select(async address =>
            (Address: address, Listing: await AskAsync<NodeQueueListing>(address, new ListNodeQueue(query), cancellationToken))));
        var listed = answers.Where(a => a.Listing is { Error: null }).Select(a => a.Listing!).OrderBy(l => l.Node, StringComparer.Ordinal).ToArray();
        var problems = answers.Where(a => a.Listing is not { Error: null })
            .Select(a => a.Listing is { } l ? $"{l.Node}: {l.Error}" : $"{a.Address}: {NoAnswer(a.Address)}")
            .ToArray();
        // The filter names a connector or firewall no member knows: the same 404 as one node's.
        if (listed.Length == 0 && answers.All(a => a.Listing is not null))
            throw AdminException.NotFound(answers[0].Listing!.Error!);
        if (listed.Length == 0)
            throw new AdminException(AdminException.StatusCodes.Unavailable, $"no node listed its queue: {string.Join("; ", problems)}");
        var rows = listed.SelectMany(l => l.Entries.Select(e => QueueRow.Of(l.Node, e))).ToArray();
        return new QueueView(rows.Length, rows)
        {
            Nodes = listed.Select(l => l.Node).ToArray(),
            Problems = problems.Length == 0 ? null : problems,
        };
    }

    /// <summary>
    /// A queue command: by queue id on the member that holds the message; otherwise on every Up member (or
    /// <paramref name="onNode"/>). Each member's answer is in <see cref="CommandResult.Nodes"/>.
    /// </summary>
    public async Task<CommandResult> CommandAsync(string action, string? id, string? to, bool bounce, string? onNode, CancellationToken cancellationToken)
    {
        var command = new NodeQueueCommand(action, id, to, bounce, $"router cmd via {node.NodeName} ({node.Address})");
        if (!node.Clustered)
        {
            node.CheckSelf(onNode);
            return await node.CommandAsync(command, cancellationToken);
        }
        var targets = await TargetsAsync(onNode, cancellationToken);
        var answers = await Task.WhenAll(targets.Select(async address =>
            await AskAsync<NodeCommandResult>(address, command, cancellationToken)
            ?? new NodeCommandResult(address.ToString(), address.ToString(), AdminException.StatusCodes.Unavailable, action, 0, NoAnswer(address))));
        return id is not null && ByQueueId.Contains(action) ? ByHolder(id, answers) : OnEvery(answers);
    }

    /// <summary>The member holding the message answered for it; the others' 404s are left out.</summary>
    private static CommandResult ByHolder(string id, NodeCommandResult[] answers)
    {
        var holders = answers.Where(a => a.Status != AdminException.StatusCodes.NotFound).ToArray();
        if (holders.Length == 0)
            throw AdminException.NotFound(answers.Length == 1
                ? $"no message '{id}' in the queue of node {answers[0].Node}"
                : $"no message '{id}' in the queue of any node ({string.Join(", ", answers.Select(a => a.Node).Order(StringComparer.Ordinal))})");
        var acted = holders.Where(h => h.Status == 200).ToArray();
        if (acted.Length == 0)
        {
            // Nobody that answered has it, and someone did not answer (or the holder refused): say so, not "no such message".
            var first = holders[0];
            throw new AdminException(first.Status, holders.All(h => h.Status == AdminException.StatusCodes.Unavailable)
                ? $"no node that answered has message '{id}'; not asked or no answer: {string.Join("; ", holders.Select(h => $"{h.Node} {h.Message}"))}"
                : $"{first.Node}: {first.Message}");
        }
        return new CommandResult(acted[0].Command, acted.Sum(a => a.Affected), string.Join("; ", acted.Select(a => $"{a.Message} on node {a.Node}")))
        {
            Node = acted.Length == 1 ? acted[0].Node : null,
            Nodes = holders,
        };
    }

    /// <summary>Every member named acted, or says why not; all of them refusing alike is that refusal (an unknown connector everywhere: 404).</summary>
    private static CommandResult OnEvery(NodeCommandResult[] answers)
    {
        var acted = answers.Where(a => a.Status == 200).ToArray();
        if (acted.Length == 0)
        {
            var first = answers[0];
            throw new AdminException(first.Status, answers.Length == 1 ? $"{first.Node}: {first.Message}" : $"on no node: {first.Node}: {first.Message}"
                + (answers.Length > 1 ? $" (and {answers.Length - 1} other node(s) likewise or worse)" : string.Empty));
        }
        var message = answers.Length == 1
            ? $"{acted[0].Message} on node {acted[0].Node}"
            : $"{acted[0].Message}: on {acted.Length} of {answers.Length} node(s)";
        return new CommandResult(acted[0].Command, acted.Sum(a => a.Affected), message)
        {
            Node = answers.Length == 1 ? acted[0].Node : null,
            Nodes = answers.OrderBy(a => a.Node, StringComparer.Ordinal).ToArray(),
        };
    }

    /// <summary>
    /// <c>GET /api/cluster</c>: the members, and for each one that answers its queue depth, accepted and delivered per second
    /// (over the last 10 s) and configuration hashes as it has them now (its real node name too).
    /// </summary>
    public async Task<ClusterView> ClusterAsync(CancellationToken cancellationToken)
    {
        var view = await node.ClusterAsync(cancellationToken);
        var self = LocalStatus();
        if (!view.Clustered)
            return view with { Members = view.Members.Select(m => With(m, self, self.RoutingHash)).ToArray() };
        var members = await Task.WhenAll(view.Members.Select(async m =>
        {
            if (m.Self)
                return With(m, self, self.RoutingHash);
            if (!m.Reachable || m.Status is not ("up" or "weaklyup" or "leaving"))
                return m;
            var status = await AskAsync<NodeStatus>(Address.Parse(m.Address), GetNodeStatus.Instance, cancellationToken);
            return status is null ? m : With(m, status, self.RoutingHash);
        }));
        return view with { Members = members };
    }

    private static MemberView With(MemberView member, NodeStatus status, string ourRouting) => member with
    {
        Node = status.Node,
        UpSince = status.UpSince,
        ConfigHash = status.ConfigHash,
        RoutingHash = status.RoutingHash,
        RoutingDiffers = status.RoutingHash != ourRouting,
        Queued = status.Queued,
        AcceptedPerSecond = status.AcceptedPerSecond,
        DeliveredPerSecond = status.DeliveredPerSecond,
        RateSeconds = status.RateSeconds,
    };

    /// <summary>
    /// Every member that holds mail and takes commands (Up, weakly up, or leaving: a leaving node still has a queue
    /// until it has handed it over), or the one <paramref name="onNode"/> names (node name or cluster address); 404 for
    /// one that is not such a member.
    /// </summary>
    private async Task<IReadOnlyList<Address>> TargetsAsync(string? onNode, CancellationToken cancellationToken)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving).Select(m => m.Address)
            .OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        if (onNode is null)
            return up;
        if (node.IsSelf(onNode))
            return [cluster.SelfAddress];
        if (up.FirstOrDefault(a => a.ToString() == onNode) is { } byAddress)
            return [byAddress];
        // A node name: only that node knows it; ask them all.
        var statuses = await Task.WhenAll(up.Select(async a => (Address: a, Status: await AskAsync<NodeStatus>(a, GetNodeStatus.Instance, cancellationToken))));
        if (statuses.FirstOrDefault(s => s.Status?.Node == onNode) is { Status: not null } match)
            return [match.Address];
        var names = statuses.Select(s => s.Status?.Node ?? s.Address.ToString()).Order(StringComparer.Ordinal);
        throw AdminException.NotFound($"unknown node '{onNode}' (the cluster's Up nodes are {string.Join(", ", names)})");
    }

    /// <summary>Why a member has no answer: unreachable members are not asked (no 5 s wait for a node known to be gone).</summary>
    private string NoAnswer(Address address) => Unreachable(address) ? "unreachable, not asked" : $"did not answer within {RemoteTimeout.TotalSeconds:0}s";

    private bool Unreachable(Address address) => Akka.Cluster.Cluster.Get(system).State.Unreachable.Any(m => m.Address == address);

    /// <summary>The member's node-admin actor asked; null when it is unreachable or does not answer in time.</summary>
    private async Task<T?> AskAsync<T>(Address address, object message, CancellationToken cancellationToken)
        where T : class
    {
        if (Unreachable(address))
            return null;
        try
        {
            return await system.ActorSelection(new RootActorPath(address) / "user" / NodeAdminActor.Name).Ask<T>(message, RemoteTimeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
