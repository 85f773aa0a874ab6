using System.Diagnostics;
using Router.Actors.Observability.Tracing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;
using static Router.Actors.Observability.Tracing.TraceAttributes;

namespace Router.Tests.Observability.Tracing;

/// <summary>
/// One trace per message (issue 22), read back with OpenTelemetry's in-memory exporter from a router in this process
/// relaying to fake firewalls over real SMTP.
/// </summary>
public sealed class MessageTraceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    private static async Task<string> SendAsync(TestRouter router, string id, string from = "sender@example.org")
    {
        var reply = (await TestMail.SendAsync(router.Smtp, [TestMail.Build(id)], from: from)).Single();
        Assert.StartsWith("2.0.0", reply);
        return reply.Split(' ').Last();
    }

    private static Activity One(IReadOnlyList<Activity> trace, string name) =>
        Assert.Single(trace, s => s.OperationName == name);

    private static string? Tag(Activity span, string key) => SpanRecorder.Tag(span, key);

    [Fact]
    public async Task A_relayed_message_is_one_trace_of_accept_spool_fsync_route_and_delivery_attempt()
    {
        using var spans = new SpanRecorder();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "trace-one");
        var trace = await spans.TraceOfAsync(queueId, t => t.Any(s => s.OperationName == AttemptSpan), Timeout);

        Assert.Equal([AcceptSpan, AttemptSpan, RouteSpan, SpoolSpan], trace.Select(s => s.OperationName).Order(StringComparer.Ordinal));
        var accept = One(trace, AcceptSpan);
        Assert.Equal(default, accept.ParentSpanId);
        Assert.Equal(ActivityKind.Server, accept.Kind);
        Assert.Equal(("127.0.0.1", "1", "250"), (Tag(accept, ClientAddress), Tag(accept, Recipients), Tag(accept, ReplyCode)));
        Assert.True(long.Parse(Tag(accept, MessageSize)!) > 1000);
        Assert.Equal(ActivityStatusCode.Unset, accept.Status);
        foreach (var child in trace.Where(s => s != accept))
        {
            Assert.Equal(accept.SpanId, child.ParentSpanId);
            Assert.Equal(queueId, Tag(child, QueueId));
        }
        Assert.All(trace, s => Assert.Equal("test", Tag(s, TraceAttributes.Node)));

        var spool = One(trace, SpoolSpan);
        // The accept span runs from MAIL FROM to the 250: the data and the fsync are inside it.
        Assert.True(accept.StartTimeUtc <= spool.StartTimeUtc && spool.StartTimeUtc + spool.Duration <= accept.StartTimeUtc + accept.Duration,
            SpanRecorder.Describe([accept, spool]));

        var route = One(trace, RouteSpan);
        Assert.Equal(("connector", "out-fw-a", "*;1"), (Tag(route, Decision), Tag(route, Connector), Tag(route, Tier)));

        var attempt = One(trace, AttemptSpan);
        Assert.Equal(ActivityKind.Client, attempt.Kind);
        Assert.Equal(("fw-a", "127.0.0.1", fw.Port.ToString(), "1"), (Tag(attempt, Firewall), Tag(attempt, ServerAddress), Tag(attempt, ServerPort), Tag(attempt, Attempt)));
        Assert.Equal(("completed", "250"), (Tag(attempt, Outcome), Tag(attempt, ReplyCode)));
        Assert.Equal(ActivityStatusCode.Unset, attempt.Status);
    }

    [Fact]
    public async Task A_deferred_message_has_a_span_per_attempt_with_the_firewalls_reply()
    {
        using var spans = new SpanRecorder();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "trace-deferred");
        await spans.TraceOfAsync(queueId, t => t.Any(s => s.OperationName == AttemptSpan), Timeout);
        fw.Behavior = FirewallBehavior.Accept;
        var trace = await spans.TraceOfAsync(queueId, t => t.Any(s => s.OperationName == AttemptSpan && Tag(s, ReplyCode) == "250"), Timeout);

        var attempts = trace.Where(s => s.OperationName == AttemptSpan).OrderBy(s => s.StartTimeUtc).ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(("451", "transient_rejection", ActivityStatusCode.Error), (Tag(attempts[0], ReplyCode), Tag(attempts[0], Outcome), attempts[0].Status));
        Assert.Equal(("250", "completed", ActivityStatusCode.Unset), (Tag(attempts[1], ReplyCode), Tag(attempts[1], Outcome), attempts[1].Status));
        Assert.Equal(2, trace.Count(s => s.OperationName == RouteSpan));
        var accept = One(trace, AcceptSpan);
        Assert.All(trace.Where(s => s != accept), s => Assert.Equal(accept.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task A_bounce_is_a_dsn_span_and_the_dsns_own_delivery_joins_the_originals_trace()
    {
        using var spans = new SpanRecorder();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject550Recipient("user");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        var queueId = await SendAsync(router, "trace-bounce");
        var trace = await spans.TraceOfAsync(queueId,
            t => t.FirstOrDefault(s => s.OperationName == DsnSpan) is { } dsn && t.Any(s => s.OperationName == AttemptSpan && s.ParentSpanId == dsn.SpanId),
            Timeout);

        var accept = One(trace, AcceptSpan);
        var dsn = One(trace, DsnSpan);
        Assert.Equal(accept.SpanId, dsn.ParentSpanId);
        Assert.Equal(("failed", "1"), (Tag(dsn, DsnAction), Tag(dsn, Recipients)));
        var bounceId = Tag(dsn, DsnQueueId);
        Assert.False(string.IsNullOrEmpty(bounceId));
        Assert.NotEqual(queueId, bounceId);
        var failed = Assert.Single(trace, s => s.OperationName == AttemptSpan && s.ParentSpanId == accept.SpanId);
        Assert.Equal(("550", ActivityStatusCode.Error), (Tag(failed, ReplyCode), failed.Status));
        // The DSN's routing and delivery, under the dsn span, carry the DSN's own queue id.
        var dsnSpans = trace.Where(s => s.ParentSpanId == dsn.SpanId).ToArray();
        Assert.Contains(dsnSpans, s => s.OperationName == RouteSpan);
        Assert.All(dsnSpans, s => Assert.Equal(bounceId, Tag(s, QueueId)));
    }

    [Fact]
    public async Task An_attempt_after_a_restart_joins_the_trace_the_message_was_accepted_in()
    {
        using var spans = new SpanRecorder();
        var spoolPath = TestRouter.NewSpoolPath();
        try
        {
            await using var fw = await FakeFirewall.StartAsync("fw-a");
            await fw.StopAsync();
            string queueId;
            await using (var first = await TestRouter.StartAsync(TestRouter.EqualCost(fw), spoolPath))
            {
                queueId = await SendAsync(first, "trace-restart");
                await spans.TraceOfAsync(queueId, t => t.Any(s => s.OperationName == RouteSpan), Timeout);
            }

            await fw.RestartAsync();
            await using var second = await TestRouter.StartAsync(TestRouter.EqualCost(fw), spoolPath);
            var trace = await spans.TraceOfAsync(queueId, t => t.Any(s => s.OperationName == AttemptSpan && Tag(s, ReplyCode) == "250"), Timeout);

            var accept = One(trace, AcceptSpan);
            var delivered = Assert.Single(trace, s => s.OperationName == AttemptSpan && Tag(s, ReplyCode) == "250");
            Assert.Equal(accept.TraceId, delivered.TraceId);
            Assert.Equal(accept.SpanId, delivered.ParentSpanId);
            Assert.Equal(queueId, Tag(delivered, QueueId));
            Assert.Equal(1, fw.Count);
        }
        finally
        {
            if (Directory.Exists(spoolPath))
                Directory.Delete(spoolPath, recursive: true);
        }
    }
}
