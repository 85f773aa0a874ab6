using Router.Actors.Configuration;
using Router.Actors.Health;

namespace Router.Tests.Health;

/// <summary>A firewall's limits as cluster budgets, divided among the members a node counts (issues 17 and 20).</summary>
public sealed class ClusterBudgetTests
{
    private static FirewallOptions Firewall(int maxConnections, int floor = 1, SendingRate? messages = null, SendingRate? connections = null) => new()
    {
        Id = "fw",
        Host = "127.0.0.1",
        MaxConnections = maxConnections,
        MinConnectionsPerNode = floor,
        MaxMessageRate = messages,
        MaxConnectionRate = connections,
    };

    [Theory]
    [InlineData(6, 3, new[] { 2, 2, 2 })]
    [InlineData(6, 2, new[] { 3, 3 })]
    [InlineData(8, 3, new[] { 3, 3, 2 })]
    [InlineData(24, 5, new[] { 5, 5, 5, 5, 4 })]
    [InlineData(8, 1, new[] { 8 })]
    public void Connections_add_up_to_the_budget_the_remainder_going_to_the_first_nodes_in_address_order(int budget, int nodes, int[] parts)
    {
        var divided = Enumerable.Range(0, nodes).Select(i => ClusterBudget.Divide(Firewall(budget), nodes, i).MaxConnections).ToArray();

        Assert.Equal(parts, divided);
        Assert.Equal(budget, divided.Sum());
    }

    [Fact]
    public void Every_node_gets_at_least_one_connection_or_the_configured_floor_even_past_the_budget()
    {
        Assert.Equal([1, 1, 1, 1], Enumerable.Range(0, 4).Select(i => ClusterBudget.Divide(Firewall(2), 4, i).MaxConnections));
        Assert.Equal([3, 3, 3], Enumerable.Range(0, 3).Select(i => ClusterBudget.Divide(Firewall(6, floor: 3), 3, i).MaxConnections));
        Assert.Equal([4, 4], Enumerable.Range(0, 2).Select(i => ClusterBudget.Divide(Firewall(8, floor: 3), 2, i).MaxConnections));
    }

    [Fact]
    public void Rates_are_divided_evenly_and_unlimited_stays_unlimited()
    {
        var limits = ClusterBudget.Divide(Firewall(6, messages: new SendingRate(600, TimeSpan.FromMinutes(1)), connections: new SendingRate(10, TimeSpan.FromSeconds(1))), 3, 2);

        Assert.Equal(new SendingRate(200, TimeSpan.FromMinutes(1)), limits.MessageRate);
        Assert.Equal(10.0 / 3, limits.ConnectionRate!.PerSecond, 9);
        Assert.Equal("3.333/s", limits.ConnectionRate.ToString());
        Assert.Equal(3, limits.Nodes);
        Assert.Null(ClusterBudget.Divide(Firewall(6), 3, 0).MessageRate);
        Assert.Null(ClusterBudget.Divide(Firewall(6), 3, 0).ConnectionRate);
    }

    [Fact]
    public void A_single_node_keeps_the_whole_budget()
    {
        var firewall = Firewall(8, messages: new SendingRate(50, TimeSpan.FromSeconds(1)));

        Assert.Equal(new FirewallLimits(8, firewall.MaxMessageRate, null, 1), ClusterBudget.Whole(firewall));
    }

    [Fact]
    public void A_node_that_has_not_joined_yet_takes_the_floor_and_the_same_fraction_of_each_rate()
    {
        var firewall = Firewall(8, floor: 2, messages: new SendingRate(800, TimeSpan.FromMinutes(1)));

        Assert.Equal(new FirewallLimits(2, new SendingRate(200, TimeSpan.FromMinutes(1)), null, 0), ClusterBudget.BeforeJoining(firewall));
        Assert.Equal(1, ClusterBudget.BeforeJoining(Firewall(6)).MaxConnections);
    }

    [Fact]
    public void A_node_has_joined_once_it_sees_itself_among_the_members_whatever_its_status()
    {
        var members = ClusterMembers.Alone("b").WithStatus("a", up: true);
        Assert.False(members.Joined);

        members = members.WithStatus("b", up: false);
        Assert.True(members.Joined);
        Assert.True(members.Without("b").Joined);
    }

    [Fact]
    public void The_members_counted_are_the_Up_reachable_ones_plus_the_node_itself_in_address_order()
    {
        var members = ClusterMembers.Alone("akka.tcp://router@127.0.0.1:4052");
        Assert.Equal((1, 0), members.Position());

        members = members.WithStatus("akka.tcp://router@127.0.0.1:4051", up: true)
            .WithStatus("akka.tcp://router@127.0.0.1:4052", up: true)
            .WithStatus("akka.tcp://router@127.0.0.1:4053", up: true);
        Assert.Equal((3, 1), members.Position());

        // Unreachable: the others take its part; reachable again, it counts again.
        members = members.WithReachable("akka.tcp://router@127.0.0.1:4051", reachable: false);
        Assert.Equal((2, 0), members.Position());
        members = members.WithReachable("akka.tcp://router@127.0.0.1:4051", reachable: true);
        Assert.Equal((3, 1), members.Position());

        // Leaving (any status but Up) or removed: no longer counted.
        members = members.WithStatus("akka.tcp://router@127.0.0.1:4053", up: false).Without("akka.tcp://router@127.0.0.1:4051");
        Assert.Equal((1, 0), members.Position());

        // The node itself counts while it is not Up yet (joining) or leaving: it still delivers.
        Assert.Equal((2, 1), ClusterMembers.Alone("b").WithStatus("a", up: true).WithStatus("b", up: false).Position());
    }
}
