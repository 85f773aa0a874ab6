using System.Diagnostics;
using Router.Testing;
using Router.Testing.Smtp;
using Router.Tests.Cluster;
using static Router.Actors.Observability.Tracing.TraceAttributes;
using NodeTag = Router.Actors.Observability.Tracing.TraceAttributes;

namespace Router.Tests.Observability.Tracing;

/// <summary>
/// Issue 22's "done when": a message relayed through a three-node cluster with a handover yields one connected trace.
/// Three real nodes on loopback; node 1's own firewall is stopped, so node 1 hands the message to a peer, which
/// delivers it. The trace context crosses nodes in the transfer offer only.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTraceTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
            await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
        var peers = new[] { ClusterNodes.AddressOf(_cluster[1]).ToString(), ClusterNodes.AddressOf(_cluster[2]).ToString() };
        await Eventually.TrueAsync(
            async () => (await ClusterNodes.ViewAsync(_cluster[0])).Firewalls.Count(e => peers.Contains(e.Address) && e.State == "healthy") == 2,
            TimeSpan.FromSeconds(30), "node 1 does not see both peers' firewalls healthy");
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_message_handed_over_between_nodes_is_one_connected_trace_from_accept_to_the_peers_delivery()
    {
        using var spans = new SpanRecorder();
        var node1 = _cluster[0];
        await _cluster.FirewallOf(node1).StopAsync();

        var reply = (await TestMail.SendAsync(node1.Smtp, [TestMail.Build("cluster-trace")])).Single();
        Assert.StartsWith("2.0.0", reply);
        var queueId = reply.Split(' ').Last();

        var trace = await spans.TraceOfAsync(queueId,
            t => t.Any(s => s.OperationName == AttemptSpan && SpanRecorder.Tag(s, Outcome) == "completed")
                 && t.Any(s => s.OperationName == HandoverSpan && s.Duration > TimeSpan.Zero),
            Timeout);

        var accept = Assert.Single(trace, s => s.OperationName == AcceptSpan);
        Assert.Equal("node1", SpanRecorder.Tag(accept, NodeTag.Node));
        Assert.Equal(default, accept.ParentSpanId);

        // Every span of the trace hangs off another span of the same trace: nothing is orphaned across the hop.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.All(trace.Where(s => s != accept), s => Assert.Contains(s.ParentSpanId, ids));

        var handover = Assert.Single(trace, s => s.OperationName == HandoverSpan);
        Assert.Equal(("node1", ActivityKind.Producer, ActivityStatusCode.Unset), (SpanRecorder.Tag(handover, NodeTag.Node), handover.Kind, handover.Status));

        var receive = Assert.Single(trace, s => s.OperationName == HandoverReceiveSpan);
        Assert.Equal(handover.SpanId, receive.ParentSpanId);
        var receiver = SpanRecorder.Tag(receive, NodeTag.Node);
        Assert.Contains(receiver, new[] { "node2", "node3" });

        // The peer's delivery is in the same trace, made on the peer, below its receive span.
        var attempt = Assert.Single(trace, s => s.OperationName == AttemptSpan && SpanRecorder.Tag(s, Outcome) == "completed");
        Assert.Equal(receiver, SpanRecorder.Tag(attempt, NodeTag.Node));
        Assert.True(IsBelow(attempt, receive, trace), SpanRecorder.Describe(trace));
        Assert.DoesNotContain(trace, s => s.OperationName == AttemptSpan && SpanRecorder.Tag(s, NodeTag.Node) == "node1" && SpanRecorder.Tag(s, Outcome) == "completed");
    }

    private static bool IsBelow(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
            if (parent.SpanId == ancestor.SpanId)
                return true;
        return false;
    }
}
