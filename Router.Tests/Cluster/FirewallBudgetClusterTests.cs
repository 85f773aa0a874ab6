using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>
/// Issues 17 and 20: three router nodes in one process share one real fake firewall whose <c>max-connections</c> is 6,
/// a budget for the whole cluster: 2 per node while three are Up, 3 each once one has left.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FirewallBudgetClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly ClusterNodes _cluster = new();
    private FakeFirewall _shared = null!;

    // Every node's firewall "shared" (the fake above) and the connector that alone takes mail for budget.example.
    private string Extra { get; set; } = string.Empty;

    public async Task InitializeAsync()
    {
        // Each final dot answered after 150 ms: a node with a backlog holds every connection of its share at once.
        _shared = await FakeFirewall.StartAsync("shared");
        _shared.Behavior = FirewallBehavior.Slow(TimeSpan.Zero, TimeSpan.FromMilliseconds(150));
        // Mail for budget.example goes only to the shared firewall. The health probe is outside the budget (as it is
        // outside max-connection-rate), so it is kept out of the measurement: no probe of a healthy firewall for 10 min.
        Extra = $$"""
            firewalls {
              shared { host = "127.0.0.1", port = {{_shared.Port}}, max-connections = 6, healthy-probe-interval = 10m }
            }
            connectors {
              budget { address-spaces = ["budget.example;1"], firewalls = [shared] }
            }
            """;
        await _cluster.AddNodeAsync(extra: Extra);
        await _cluster.AddNodeAsync(extra: Extra);
        // Node 3 can vanish without leaving (CrashAsync).
        await _cluster.AddNodeAsync(extra: Extra, akka: ClusterNodes.NoLeaveOnTerminate);
        await _cluster.AllUpAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _shared.DisposeAsync();
    }

    [Fact]
    public async Task A_budget_of_6_on_3_nodes_never_lets_the_firewall_see_more_than_6_connections_and_2_nodes_take_3_each_when_one_leaves()
    {
        await SharesAsync(_cluster.Routers, expected: 2, nodes: 3);
        // Nothing was sent to the shared firewall yet: the count starts at 0 (no pooled connection, no probe).
        _shared.ResetMaxOpenConnections();

        await LoadAsync(_cluster.Routers, "three", perNode: 40);

        Assert.InRange(_shared.MaxOpenConnections, 3, 6);

        // One node leaves: the two others divide the budget between them.
        await _cluster.RemoveNodeAsync(_cluster[1]);
        await SharesAsync(_cluster.Routers, expected: 3, nodes: 2);
        _shared.ResetMaxOpenConnections();

        await LoadAsync(_cluster.Routers, "two", perNode: 60);

        // Two nodes at 2 each could never open more than 4: 5 or 6 is their raised share at work, and 6 stays the cap.
        Assert.InRange(_shared.MaxOpenConnections, 5, 6);
    }

    [Fact]
    public async Task A_node_that_vanishes_gives_its_part_to_the_others_once_it_is_unreachable_before_it_is_removed()
    {
        await SharesAsync(_cluster.Routers, expected: 2, nodes: 3);
        var vanished = ClusterNodes.AddressOf(_cluster[2]);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var recorder = _cluster[0].Node.System.ActorOf(Props.Create(() => new LogRecorder(log)));
        _cluster[0].Node.System.EventStream.Subscribe(recorder, typeof(Akka.Event.Info));

        await _cluster.CrashAsync(_cluster[2]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await SharesAsync(_cluster.Routers, expected: 3, nodes: 2);
        // The node says so in its log, with the cause.
        await Eventually.TrueAsync(() => log.Any(line => line.StartsWith(
                "Firewall shared on node1: this node's share is now max-connections 3 (cluster budget 6 / 2 Up node(s)), max-message-rate unlimited, max-connection-rate unlimited; was 2 connection(s) of 3 node(s)", StringComparison.Ordinal)
                && line.EndsWith($"({vanished} unreachable)", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5), () => string.Join("\n", log.Where(line => line.Contains("share", StringComparison.Ordinal))));

        // Well before the split brain resolver (stable-after 20 s) downs it: the others acted on its unreachability.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(18), $"the share was raised {clock.Elapsed.TotalSeconds:0.0}s after the crash");
        Assert.Contains(Akka.Cluster.Cluster.Get(_cluster[0].Node.System).State.Unreachable, m => m.Address == vanished);
    }

    [Fact]
    public async Task A_node_that_joins_under_load_lowers_the_others_part_without_cutting_a_delivery()
    {
        await SharesAsync(_cluster.Routers, expected: 2, nodes: 3);
        await _cluster.RemoveNodeAsync(_cluster[1]);
        await SharesAsync(_cluster.Routers, expected: 3, nodes: 2);
        // 200 messages at 400 ms each over 6 connections: the load outlasts a node's start and join.
        _shared.Behavior = FirewallBehavior.Slow(TimeSpan.Zero, TimeSpan.FromMilliseconds(400));
        var loading = LoadAsync(_cluster.Routers, "join", perNode: 100);
        await Eventually.TrueAsync(() => _shared.OpenConnections >= 5, Deadline, () => $"{_shared.OpenConnections} connection(s) open");

        var joined = await _cluster.AddNodeAsync(extra: Extra);
        await _cluster.AllUpAsync();
        await SharesAsync(_cluster.Routers, expected: 2, nodes: 3);
        Assert.False(loading.IsCompleted, "the load was over before the third node joined: nothing was tested");

        // The two loaded nodes go down to 2 connections each: the third opened by each closes when its delivery ends
        // (400 ms), well before the idle timeout (60 s) would close it anyway.
        await Eventually.TrueAsync(() => _shared.OpenConnections <= 4, TimeSpan.FromSeconds(15), () => $"{_shared.OpenConnections} connection(s) open");
        await loading;
        // Not one delivery was cut: every message arrived once, and no attempt failed on any node.
        var ids = _shared.Messages.Select(m => TestMail.IdOf(m.Data)).Where(id => id.StartsWith("join-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(200, ids.Length);
        Assert.Equal(200, ids.Distinct().Count());
        foreach (var router in _cluster.Routers)
            Assert.Equal(0, (await router.Node.System.ActorSelection("/user/firewall-shared").Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5))).Failed);
        Assert.Contains(joined, _cluster.Routers);
    }

    [Fact]
    public async Task Router_cmd_firewall_shows_the_nodes_share_of_the_cluster_budget()
    {
        await SharesAsync(_cluster.Routers, expected: 2, nodes: 3);
        var console = new Spectre.Console.Testing.TestConsole();
        console.Profile.Width = 220;
        var errors = new StringWriter();

        var exit = await new Router.Node.Cmd.CmdRunner(console, new StringWriter(), errors)
            .RunAsync(["--endpoint", _cluster[0].Node.AdminEndpoint!.ToString()!, "firewall", "shared"], null, CancellationToken.None);

        Assert.True(exit == 0, $"exit {exit}: {errors} {console.Output}");
        Assert.Contains("max-connections 2 (cluster budget 6 / 3 Up nodes)", console.Output);
        Assert.Matches(@"shared\s*│\s*healthy\s*│[^\n]*│\s*0/2\s*│", console.Output);
    }

    /// <summary>Waits until every node's firewall actor has taken <paramref name="expected"/> connections of 6 among <paramref name="nodes"/>.</summary>
    private static async Task SharesAsync(IReadOnlyList<TestRouter> routers, int expected, int nodes)
    {
        foreach (var router in routers)
            await Eventually.TrueAsync(
                async () => await ShareOf(router) == new FirewallShare(expected, 6, nodes),
                Deadline,
                () => $"{ClusterNodes.AddressOf(router)}'s share: {ShareOf(router).Result}");
    }

    private static async Task<FirewallShare?> ShareOf(TestRouter router) =>
        (await router.Node.System.ActorSelection("/user/firewall-shared").Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5))).Share;

    /// <summary>Every node takes <paramref name="perNode"/> messages for budget.example at once; waits until the shared firewall has them all.</summary>
    private async Task LoadAsync(IReadOnlyList<TestRouter> routers, string prefix, int perNode)
    {
        var before = _shared.Count;
        var sends = routers.SelectMany((router, n) => Enumerable.Range(0, 2).Select(client => TestMail.SendAsync(router.Smtp,
            Enumerable.Range(0, perNode / 2).Select(i => TestMail.Build($"{prefix}-{n}-{client}-{i:D3}", "user@budget.example")), "user@budget.example")));
        var replies = await Task.WhenAll(sends);
        Assert.All(replies.SelectMany(r => r), r => Assert.StartsWith("2.0.0", r));
        await Eventually.TrueAsync(() => _shared.Count >= before + perNode * routers.Count, Deadline,
            () => $"{_shared.Count - before} of {perNode * routers.Count} delivered; at most {_shared.MaxOpenConnections} connection(s) at once");
    }

    /// <summary>Records the text of every Info log event of its node.</summary>
    private sealed class LogRecorder : ReceiveActor
    {
        public LogRecorder(System.Collections.Concurrent.ConcurrentQueue<string> lines) =>
            Receive<Akka.Event.Info>(info => lines.Enqueue(info.Message?.ToString() ?? string.Empty));
    }
}
