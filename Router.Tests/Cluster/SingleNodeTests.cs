using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>A node with no cluster configuration runs alone, as before clustering existed.</summary>
public sealed class SingleNodeTests
{
    [Fact]
    public async Task A_node_without_cluster_config_runs_alone_with_a_local_health_view()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(firewall));

        // No remoting, no cluster: the local provider, and no address but the node's own.
        Assert.IsType<LocalActorRefProvider>(((ExtendedActorSystem)router.Node.System).Provider);
        Assert.False(router.Node.System.HasExtension<Akka.Cluster.Cluster>());

        await Eventually.TrueAsync(
            () => router.Node.HealthView.Ask<ClusterHealthView>(GetClusterHealthView.Instance, TimeSpan.FromSeconds(5)).Result.Firewalls.Count == 1,
            TimeSpan.FromSeconds(10),
            "the view never listed the node's firewall");
        var view = await router.Node.HealthView.Ask<ClusterHealthView>(GetClusterHealthView.Instance, TimeSpan.FromSeconds(5));
        var entry = Assert.Single(view.Firewalls);
        Assert.Equal(("fw-a", "test", "test", "healthy"), (entry.FirewallId, entry.Node, entry.Address, entry.State));
        Assert.Empty(view.UnreachableNodes);
    }
}
