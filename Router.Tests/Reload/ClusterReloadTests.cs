using System.Net;
using System.Net.Http.Json;
using Router.Node.Admin;
using Router.Testing;
using Router.Tests.Cluster;
using Router.Tests.Integration;

namespace Router.Tests.Reload;

/// <summary>Issue 19 in a cluster: <c>config reload --all-nodes</c> on three nodes in this process, and the configuration hashes in <c>cluster show</c>.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterReloadTests : IAsyncLifetime
{
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
            await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static string FirewallLine(int port) => $"firewalls {{ fw {{ host = \"127.0.0.1\", port = {port} }} }}";

    [Fact]
    public async Task All_nodes_reload_their_own_files_each_answers_and_cluster_show_marks_the_nodes_whose_routing_differs()
    {
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{_cluster[0].Node.AdminEndpoint}/"), Timeout = TimeSpan.FromSeconds(90) };
        var addresses = _cluster.Routers.Select(r => ClusterNodes.AddressOf(r).ToString()).ToArray();

        // Each node starts with its own firewall (another port): the other two route differently from node 0.
        await Eventually.TrueAsync(async () => Differing(await ClusterAsync(admin)).SetEquals(addresses[1..]), TimeSpan.FromSeconds(30),
            () => "nodes 1 and 2 not marked as differing");

        // Every node's file now points at node 0's firewall; one command reloads them all.
        var shared = _cluster.FirewallOf(_cluster[0]).Port;
        foreach (var router in _cluster.Routers)
            await File.WriteAllTextAsync(router.ConfigPath,
                router.ConfigText.Replace(FirewallLine(_cluster.FirewallOf(router).Port), FirewallLine(shared)));
        var all = await ReloadAllAsync(admin);
        Assert.Equal(addresses.Order(), all.Nodes.Select(n => n.Address).Order());
        Assert.Equal(["unchanged", "applied", "applied"], all.Nodes.OrderBy(n => Array.IndexOf(addresses, n.Address)).Select(n => n.Outcome));
        Assert.All(all.Nodes, n => Assert.Equal(64, n.Hash.Length));

        await Eventually.TrueAsync(async () => Differing(await ClusterAsync(admin)).Count == 0, TimeSpan.FromSeconds(30),
            () => "a node is still marked as differing after the reload");
        var members = (await ClusterAsync(admin)).Members;
        Assert.All(members, m => Assert.NotNull(m.ConfigHash));

        // A broken file on node 2: it refuses with the key, the others answer for themselves.
        await File.WriteAllTextAsync(_cluster[2].ConfigPath, _cluster[2].ConfigText
            .Replace(FirewallLine(_cluster.FirewallOf(_cluster[2]).Port), FirewallLine(shared))
            .Replace("address-spaces = [\"*;1\"]", "address-spaces = [\"*;0\"]"));
        var partly = await ReloadAllAsync(admin);
        var node2 = partly.Nodes.Single(n => n.Address == addresses[2]);
        Assert.Equal("refused", node2.Outcome);
        Assert.Contains("router.connectors.out.address-spaces[0]", node2.Error);
        Assert.All(partly.Nodes.Where(n => n.Address != addresses[2]), n => Assert.Equal("unchanged", n.Outcome));
    }

    private static HashSet<string> Differing(ClusterView view) => view.Members.Where(m => m.RoutingDiffers).Select(m => m.Address).ToHashSet();

    private static async Task<ClusterView> ClusterAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<ClusterView>("api/cluster", AdminJson.Options))!;

    private static async Task<ClusterReload> ReloadAllAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("api/config/reload?all-nodes=true", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<ClusterReload>(body, AdminJson.Options)!;
    }
}
