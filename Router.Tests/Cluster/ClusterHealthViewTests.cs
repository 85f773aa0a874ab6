using System.Diagnostics;
using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;

namespace Router.Tests.Cluster;

/// <summary>Three router nodes in one process form a cluster on loopback and share one health view.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterHealthViewTests : IAsyncLifetime
{
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
            await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Three_nodes_form_one_cluster_and_each_sees_every_nodes_firewall()
    {
        var addresses = _cluster.Routers.Select(r => ClusterNodes.AddressOf(r).ToString()).ToHashSet();
        Assert.Equal(3, addresses.Count);
        foreach (var router in _cluster.Routers)
        {
            await Eventually.TrueAsync(
                () => ClusterNodes.ViewAsync(router).Result.Firewalls.Select(e => e.Address).ToHashSet().SetEquals(addresses),
                TimeSpan.FromSeconds(15),
                () => $"{ClusterNodes.AddressOf(router)} sees {Describe(ClusterNodes.ViewAsync(router).Result)}");
        }

        var view = await ClusterNodes.ViewAsync(_cluster[2]);
        Assert.All(view.Firewalls, e => Assert.Equal("fw", e.FirewallId));
        Assert.Equal(["node1", "node2", "node3"], view.Firewalls.Select(e => e.Node).Order().ToArray());
    }

    [Fact]
    public async Task Cluster_show_on_any_node_lists_the_three_members_up_reachable_and_one_leader()
    {
        var addresses = _cluster.Routers.Select(r => ClusterNodes.AddressOf(r).ToString()).Order().ToArray();
        using var http = new HttpClient();
        var endpoint = _cluster[2].Node.AdminEndpoint ?? throw new InvalidOperationException("no admin endpoint");
        var json = await http.GetStringAsync($"http://{endpoint}/api/cluster");
        var view = System.Text.Json.JsonSerializer.Deserialize<Router.Node.Admin.ClusterView>(json, Router.Node.Admin.AdminJson.Options)!;

        Assert.True(view.Clustered);
        Assert.Equal(addresses, view.Members.Select(m => m.Address).Order().ToArray());
        Assert.All(view.Members, m => Assert.Equal(("up", true), (m.Status, m.Reachable)));
        Assert.Equal(ClusterNodes.AddressOf(_cluster[2]).ToString(), view.Self);
        Assert.Equal("node3", Assert.Single(view.Members, m => m.Self).Node);
        Assert.Equal(view.Leader, Assert.Single(view.Members, m => m.Leader).Address);

        // leave and down name a member; anything else is refused before any node is asked.
        using var leave = await http.PostAsync($"http://{endpoint}/api/cluster/leave?address={Uri.EscapeDataString("akka.tcp://router@127.0.0.1:9")}", null);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, leave.StatusCode);
        Assert.Contains("no member akka.tcp://router@127.0.0.1:9", await leave.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_firewall_tripped_on_node_1_is_seen_tripped_on_node_3_within_5_seconds()
    {
        var node1 = ClusterNodes.AddressOf(_cluster[0]).ToString();
        await Eventually.TrueAsync(
            () => ClusterNodes.ViewAsync(_cluster[2]).Result.Firewalls.Any(e => e.Address == node1 && e.State == "healthy"),
            TimeSpan.FromSeconds(15),
            () => $"node3 does not see node1's firewall healthy: {Describe(ClusterNodes.ViewAsync(_cluster[2]).Result)}");

        var snapshot = await _cluster[0].Node.System.ActorSelection("/user/firewall-fw")
            .Ask<FirewallSnapshot>(new FirewallCommand("fw", FirewallAction.Trip), TimeSpan.FromSeconds(5));
        Assert.Equal("tripped", snapshot.State);
        var clock = Stopwatch.StartNew();

        await Eventually.TrueAsync(
            () => ClusterNodes.ViewAsync(_cluster[2]).Result.Firewalls.Any(e => e.Address == node1 && e.FirewallId == "fw" && e.State == "tripped"),
            TimeSpan.FromSeconds(5),
            () => $"node3's view after {clock.Elapsed.TotalSeconds:0.0}s: {Describe(ClusterNodes.ViewAsync(_cluster[2]).Result)}");

        // The trip is not copied to the other nodes (each node's own path decides): at most they become suspect, probe,
        // and are healthy again once they saw the firewall answer (issue 17).
        var view = await ClusterNodes.ViewAsync(_cluster[2]);
        Assert.All(view.Firewalls.Where(e => e.Address != node1), e => Assert.Contains(e.State, new[] { "healthy", "suspect" }));
        await Eventually.TrueAsync(
            () => ClusterNodes.ViewAsync(_cluster[2]).Result.Firewalls.Where(e => e.Address != node1)
                .All(e => e.State == "healthy" && e.LastSuccess > snapshot.LastTrip),
            TimeSpan.FromSeconds(20),
            () => $"the other nodes did not vouch for fw again: {Describe(ClusterNodes.ViewAsync(_cluster[2]).Result)}");
        var entry = view.Firewalls.Single(e => e.Address == node1);
        Assert.Equal("node1", entry.Node);
        Assert.Equal("tripped by operator", entry.Reason);
        Assert.Equal(snapshot.Trips, entry.Trips);
    }

    [Fact]
    public async Task Router_cmd_firewall_trip_acts_on_every_node_and_reset_with_node_on_one_only()
    {
        var endpoint = _cluster[1].Node.AdminEndpoint ?? throw new InvalidOperationException("no admin endpoint");
        // --node names a member by the health view node 2 has: wait until it knows all three.
        await Eventually.TrueAsync(() => ClusterNodes.ViewAsync(_cluster[1]).Result.Firewalls.Select(e => e.Node).Distinct().Count() == 3,
            TimeSpan.FromSeconds(15), () => $"node2 sees {Describe(ClusterNodes.ViewAsync(_cluster[1]).Result)}");
        var console = new Spectre.Console.Testing.TestConsole();
        console.Profile.Width = 220;
        var errors = new StringWriter();
        var runner = new Router.Node.Cmd.CmdRunner(console, new StringWriter(), errors);

        var exit = await runner.RunAsync(["--endpoint", endpoint.ToString()!, "firewall", "trip", "fw"], null, CancellationToken.None);
        Assert.True(exit == 0, $"exit {exit}: {errors} {console.Output}");

        // One table, a row per node, every one tripped by the operator; and every node's own firewall actor says so.
        foreach (var name in new[] { "node1", "node2", "node3" })
            Assert.Matches($@"{name}\s*│\s*fw\s*│\s*tripped", console.Output);
        foreach (var router in _cluster.Routers)
        {
            var snapshot = await router.Node.System.ActorSelection("/user/firewall-fw").Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5));
            Assert.Equal(("tripped", "tripped by operator"), (snapshot.State, snapshot.Reason));
        }

        var reset = new Spectre.Console.Testing.TestConsole();
        reset.Profile.Width = 220;
        var resetErrors = new StringWriter();
        exit = await new Router.Node.Cmd.CmdRunner(reset, new StringWriter(), resetErrors)
            .RunAsync(["--endpoint", endpoint.ToString()!, "firewall", "reset", "fw", "--node", "node3"], null, CancellationToken.None);
        Assert.True(exit == 0, $"exit {exit}: {resetErrors} {reset.Output}");

        Assert.Matches(@"fw\s*│\s*healthy", reset.Output);
        var states = new List<string>();
        foreach (var router in _cluster.Routers)
            states.Add((await router.Node.System.ActorSelection("/user/firewall-fw").Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5))).State);
        Assert.Equal(["tripped", "tripped", "healthy"], states);
    }

    [Fact]
    public async Task A_node_that_leaves_is_removed_from_the_other_nodes_views()
    {
        var node4 = await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
        var address = ClusterNodes.AddressOf(node4).ToString();
        await Eventually.TrueAsync(
            () => ClusterNodes.ViewAsync(_cluster[0]).Result.Firewalls.Any(e => e.Address == address),
            TimeSpan.FromSeconds(15),
            () => $"node1 never saw node4: {Describe(ClusterNodes.ViewAsync(_cluster[0]).Result)}");

        await _cluster.RemoveNodeAsync(node4);

        foreach (var router in _cluster.Routers)
        {
            await Eventually.TrueAsync(
                () => ClusterNodes.ViewAsync(router).Result.Firewalls.All(e => e.Address != address),
                TimeSpan.FromSeconds(30),
                () => $"{ClusterNodes.AddressOf(router)} still lists node4: {Describe(ClusterNodes.ViewAsync(router).Result)}");
        }

        await _cluster.AllUpAsync();
    }

    private static string Describe(ClusterHealthView view) =>
        string.Join(", ", view.Firewalls.Select(e => $"{e.Address}/{e.FirewallId}={e.State}"));
}
