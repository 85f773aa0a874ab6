using System.Net;
using System.Net.Http.Json;
using Router.Node.Admin;
using Router.Testing;
using Router.Tests.Cluster;
using Router.Tests.Integration;

namespace Router.Tests.Admin;

/// <summary>
/// In a cluster the admin API of any node lists every node's firewalls and forwards
/// <c>firewall trip|reset|drain &lt;id&gt; --node N</c> to that node's firewall actor.
/// Two real nodes in this process (remoting on loopback), each with its own firewall "fw".
/// </summary>
public sealed class ClusterFirewallCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    private static HttpClient Client(TestRouter router)
    {
        var endpoint = router.Node.AdminEndpoint ?? throw new InvalidOperationException("admin endpoint not bound");
        return new HttpClient { BaseAddress = new Uri($"http://{endpoint.Address}:{endpoint.Port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<FirewallView[]> FirewallsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<FirewallView[]>("api/firewalls", AdminJson.Options))!;

    private static async Task<FirewallView> PostAsync(HttpClient http, string path)
    {
        using var response = await http.PostAsync(path, null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonSerializer.Deserialize<FirewallView>(body, AdminJson.Options)!;
    }

    [Fact]
    public async Task Any_node_lists_every_nodes_firewalls_and_drains_and_resets_another_nodes_firewall()
    {
        await using var cluster = new ClusterNodes();
        var node1 = await cluster.AddNodeAsync();
        var node2 = await cluster.AddNodeAsync();
        await cluster.AllUpAsync();
        using var http1 = Client(node1);
        using var http2 = Client(node2);

        FirewallView[] listed = [];
        await Eventually.TrueAsync(async () => (listed = await FirewallsAsync(http1)).Length == 2, Timeout,
            () => $"node1 lists {string.Join(", ", listed.Select(f => $"{f.Node}/{f.Id}"))}, not both nodes' firewalls");
        Assert.Equal(["node1/fw healthy", "node2/fw healthy"], listed.Select(f => $"{f.Node}/{f.Id} {f.State}"));

        // Forwarded to node2's firewall actor: node2's own view changes, node1's firewall does not.
        var drained = await PostAsync(http1, "api/firewalls/fw/drain?node=node2");
        Assert.Equal(("node2", "drained"), (drained.Node, drained.State));
        Assert.Equal("drained", (await FirewallsAsync(http2)).Single(f => f.Node == "node2").State);
        Assert.Equal("healthy", (await FirewallsAsync(http1)).Single(f => f.Node == "node1").State);
        var one = (await http1.GetFromJsonAsync<FirewallView>("api/firewalls/fw?node=node2", AdminJson.Options))!;
        Assert.Equal(("node2", "drained"), (one.Node, one.State));

        var reset = await PostAsync(http1, "api/firewalls/fw/reset?node=node2");
        Assert.Equal(("node2", "healthy"), (reset.Node, reset.State));
        Assert.Equal("healthy", (await FirewallsAsync(http2)).Single(f => f.Node == "node2").State);

        using var unknownNode = await http1.PostAsync("api/firewalls/fw/drain?node=node9", null);
        Assert.Equal(HttpStatusCode.NotFound, unknownNode.StatusCode);
        Assert.StartsWith("unknown node 'node9'", (await unknownNode.Content.ReadFromJsonAsync<ApiError>(AdminJson.Options))!.Error);
        using var unknownFirewall = await http1.PostAsync("api/firewalls/fw-x/drain?node=node2", null);
        Assert.Equal(HttpStatusCode.NotFound, unknownFirewall.StatusCode);
        Assert.Equal("unknown firewall 'fw-x' on node 'node2'", (await unknownFirewall.Content.ReadFromJsonAsync<ApiError>(AdminJson.Options))!.Error);
    }
}
