using System.Net;
using Akka.Cluster;
using Router.Testing;
using Router.Testing.Smtp;

namespace Router.Tests.Cluster;

/// <summary>
/// <c>cluster leave</c> and <c>cluster down</c> through the admin endpoint, on two real nodes. Node 1
/// runs without spill-over, so the mail its unreachable firewall cannot take stays queued there
/// until it is told to leave.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LeaveTests : IAsyncLifetime
{
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        await _cluster.AddNodeAsync("spill-over.enabled = off");
        await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Leave_of_node_1_asked_on_node_2_hands_node_1s_queue_to_node_2_which_delivers_it_and_node_1_is_gone()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        await _cluster.FirewallOf(node1).StopAsync();
        var replies = await TestMail.SendAsync(node1.Smtp, Enumerable.Range(0, 3).Select(i => TestMail.Build($"queued-{i}")));
        Assert.All(replies, r => Assert.StartsWith("2.0.0", r));
        Assert.Equal(3, node1.Node.Spool.Statistics.MessagesQueued);
        Assert.Equal(0, _cluster.FirewallOf(node2).Count);

        using var http = new HttpClient();
        using var response = await http.PostAsync(
            $"http://{node2.Node.AdminEndpoint}/api/cluster/leave?address={Uri.EscapeDataString(ClusterNodes.AddressOf(node1).ToString())}", null);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("hands its 3 queued message(s) to the other nodes", body);
        var firewall2 = _cluster.FirewallOf(node2);
        await firewall2.WaitForCountAsync(3, TimeSpan.FromSeconds(45));
        Assert.Equal(["queued-0", "queued-1", "queued-2"], firewall2.Messages.Select(m => TestMail.IdOf(m.Data)).Order().ToArray());
        Assert.Equal(0, _cluster.FirewallOf(node1).Count);
        await node1.Node.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(45));
        await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(node2.Node.System).State.Members.Select(m => m.Address)
                .SequenceEqual([ClusterNodes.AddressOf(node2)]),
            TimeSpan.FromSeconds(30), "node 2 still lists node 1 as a member");
        Assert.Equal(0, node1.Node.Spool.Statistics.MessagesQueued);
    }

    [Fact]
    public async Task Down_removes_the_named_member_at_once()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        using var http = new HttpClient();

        using var response = await http.PostAsync(
            $"http://{node1.Node.AdminEndpoint}/api/cluster/down?address={Uri.EscapeDataString(ClusterNodes.AddressOf(node2).ToString())}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(node1.Node.System).State.Members
                .All(m => m.Address == ClusterNodes.AddressOf(node1) && m.Status == MemberStatus.Up),
            TimeSpan.FromSeconds(30), "node 1 still lists node 2");
        await node2.Node.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
