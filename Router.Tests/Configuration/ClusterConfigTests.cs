using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary>The <c>router.cluster</c> block: off by default, read when set, each bad value rejected naming its key.</summary>
public sealed class ClusterConfigTests
{
    private static RouterOptions Read(string cluster) =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith($"router.cluster {{ {cluster} }}")));

    private static void Rejects(string cluster, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Read(cluster));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clustering_is_off_by_default()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.Minimal));
        Assert.False(options.Cluster.Enabled);
        Assert.Empty(options.Cluster.SeedNodes);
        Assert.Equal(4053, options.Cluster.Port);
        Assert.Equal(1, options.Cluster.MinNrOfMembers);
    }

    [Fact]
    public void A_cluster_block_is_read()
    {
        var cluster = Read("""
            enabled = on
            hostname = "0.0.0.0"
            public-hostname = "node2.example"
            port = 4052
            seed-nodes = ["akka.tcp://router@node1.example:4051", "akka.tcp://router@node2.example:4052"]
            roles = [connector, ingress]
            min-nr-of-members = 2
            """).Cluster;
        Assert.True(cluster.Enabled);
        Assert.Equal("0.0.0.0", cluster.Hostname);
        Assert.Equal("node2.example", cluster.PublicHostname);
        Assert.Equal(4052, cluster.Port);
        Assert.Equal(["akka.tcp://router@node1.example:4051", "akka.tcp://router@node2.example:4052"], cluster.SeedNodes);
        Assert.Equal(["connector", "ingress"], cluster.Roles);
        Assert.Equal(2, cluster.MinNrOfMembers);
    }

    [Fact]
    public void A_seed_node_must_be_an_address() =>
        Rejects("seed-nodes = [\"node1:4051\"]", "router.cluster.seed-nodes[0]", "is not a node address");

    [Fact]
    public void A_seed_node_must_name_the_router_system() =>
        Rejects("seed-nodes = [\"akka.tcp://other@127.0.0.1:4051\"]", "router.cluster.seed-nodes[0]", "names system \"other\"");

    [Fact]
    public void The_port_must_be_in_range() =>
        Rejects("port = 70000", "router.cluster.port", "out of range");

    [Fact]
    public void Enabled_is_on_or_off() =>
        Rejects("enabled = maybe", "router.cluster.enabled", "expected on or off");

    [Fact]
    public void A_role_is_an_id() =>
        Rejects("roles = [\"Big Node\"]", "router.cluster.roles[0]", "is not a valid role");

    [Fact]
    public void At_least_one_member() =>
        Rejects("min-nr-of-members = 0", "router.cluster.min-nr-of-members", "must be at least 1");

    [Fact]
    public void Spill_over_and_drain_have_their_defaults_and_are_read_when_set()
    {
        var defaults = Read(string.Empty).Cluster;
        Assert.Equal((true, 5000, 1, TimeSpan.FromMinutes(2), 16), (defaults.SpillOver.Enabled, defaults.SpillOver.BacklogThreshold,
            defaults.SpillOver.MaxHandovers, defaults.SpillOver.TransferTimeout, defaults.SpillOver.MaxConcurrent));
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.DrainTimeout);

        var set = Read("""
            drain-timeout = 90s
            spill-over { enabled = off, backlog-threshold = 0, max-handovers = 3, transfer-timeout = 30s, max-concurrent = 4 }
            """).Cluster;
        Assert.Equal((false, 0, 3, TimeSpan.FromSeconds(30), 4), (set.SpillOver.Enabled, set.SpillOver.BacklogThreshold,
            set.SpillOver.MaxHandovers, set.SpillOver.TransferTimeout, set.SpillOver.MaxConcurrent));
        Assert.Equal(TimeSpan.FromSeconds(90), set.DrainTimeout);
    }

    [Theory]
    [InlineData("spill-over.backlog-threshold = -1", "router.cluster.spill-over.backlog-threshold", "must be 0 (off) or more")]
    [InlineData("spill-over.max-handovers = 0", "router.cluster.spill-over.max-handovers", "must be at least 1")]
    [InlineData("spill-over.max-concurrent = 0", "router.cluster.spill-over.max-concurrent", "must be at least 1")]
    [InlineData("spill-over.transfer-timeout = 0s", "router.cluster.spill-over.transfer-timeout", "greater than zero")]
    [InlineData("spill-over.enabled = perhaps", "router.cluster.spill-over.enabled", "expected on or off")]
    [InlineData("drain-timeout = 0s", "router.cluster.drain-timeout", "greater than zero")]
    public void Bad_spill_over_and_drain_values_are_rejected_naming_the_key(string cluster, string key, string problem) =>
        Rejects(cluster, key, problem);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_shipped_three_node_example_loads(int node)
    {
        var options = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("hocon", "cluster", $"node{node}.conf")));
        Assert.Equal($"node{node}", options.NodeName);
        Assert.True(options.Cluster.Enabled);
        Assert.Equal(4050 + node, options.Cluster.Port);
        Assert.Equal(2530 + node, options.Smtp.Listen[0].Port);
        Assert.Equal("akka.tcp://router@127.0.0.1:4051", options.Cluster.SeedNodes[0]);
    }

    private static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Router.sln")))
                return Path.Combine([dir.FullName, .. parts]);
        }

        throw new FileNotFoundException(Path.Combine(parts));
    }
}
