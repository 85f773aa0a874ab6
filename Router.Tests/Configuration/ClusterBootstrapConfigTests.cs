using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary>The <c>router.cluster.bootstrap</c> block (issue 15): off by default, read when set, each bad value rejected naming its key.</summary>
public sealed class ClusterBootstrapConfigTests
{
    private const string ConfigDiscovery = """
        enabled = on
        bootstrap {
          enabled = on
          required-contact-points = 3
          config.endpoints = ["10.0.0.1:8558", "10.0.0.2:8558", "node3.example:8558"]
        }
        """;

    private static BootstrapSettings Read(string cluster) =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith($"router.cluster {{ {cluster} }}"))).Cluster.Bootstrap;

    private static void Rejects(string cluster, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Read(cluster));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bootstrap_is_off_by_default_with_the_reference_defaults()
    {
        var bootstrap = Read(string.Empty);
        Assert.False(bootstrap.Enabled);
        Assert.Equal(DiscoveryMethod.Config, bootstrap.Discovery);
        Assert.Equal("router", bootstrap.ServiceName);
        Assert.Equal(2, bootstrap.RequiredContactPoints);
        Assert.Equal("127.0.0.1", bootstrap.ManagementHostname);
        Assert.Null(bootstrap.ManagementPublicHostname);
        Assert.Equal(8558, bootstrap.ManagementPort);
        Assert.Empty(bootstrap.ConfigEndpoints);
        Assert.Equal("app={0}", bootstrap.PodLabelSelector);
        Assert.Null(bootstrap.PodNamespace);
    }

    [Fact]
    public void The_shipped_router_conf_states_the_same_bootstrap_defaults_as_the_reference()
    {
        var shipped = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("hocon", "router.conf"))).Cluster.Bootstrap;
        var builtIn = Read(string.Empty);
        Assert.Equal(builtIn with { ConfigEndpoints = [] }, shipped with { ConfigEndpoints = [] });
        Assert.Equal(builtIn.ConfigEndpoints, shipped.ConfigEndpoints);
    }

    [Fact]
    public void A_config_discovery_block_is_read()
    {
        var bootstrap = Read(ConfigDiscovery + """

            bootstrap {
              service-name = "mail-router"
              management { hostname = "0.0.0.0", public-hostname = "10.0.0.1", port = 8600 }
            }
            """);
        Assert.True(bootstrap.Enabled);
        Assert.Equal(DiscoveryMethod.Config, bootstrap.Discovery);
        Assert.Equal("mail-router", bootstrap.ServiceName);
        Assert.Equal(3, bootstrap.RequiredContactPoints);
        Assert.Equal(("0.0.0.0", "10.0.0.1", 8600), (bootstrap.ManagementHostname, bootstrap.ManagementPublicHostname, bootstrap.ManagementPort));
        Assert.Equal("10.0.0.1", bootstrap.AdvertisedManagementHostname);
        Assert.Equal(["10.0.0.1:8558", "10.0.0.2:8558", "node3.example:8558"], bootstrap.ConfigEndpoints);
    }

    [Fact]
    public void A_kubernetes_block_is_read_without_endpoints()
    {
        var bootstrap = Read("""
            enabled = on
            bootstrap {
              enabled = on
              discovery = kubernetes
              required-contact-points = 3
              management { hostname = "0.0.0.0", public-hostname = "10.1.2.3" }
              kubernetes { pod-label-selector = "app.kubernetes.io/name={0}", pod-namespace = "mail" }
            }
            """);
        Assert.Equal(DiscoveryMethod.Kubernetes, bootstrap.Discovery);
        Assert.Equal("app.kubernetes.io/name={0}", bootstrap.PodLabelSelector);
        Assert.Equal("mail", bootstrap.PodNamespace);
        Assert.Empty(bootstrap.ConfigEndpoints);
    }

    [Fact]
    public void Seed_nodes_must_be_empty_with_bootstrap() =>
        Rejects(ConfigDiscovery + "\nseed-nodes = [\"akka.tcp://router@10.0.0.1:4053\"]", "router.cluster.seed-nodes",
            "must be empty when router.cluster.bootstrap.enabled is on");

    [Fact]
    public void Bootstrap_needs_clustering() =>
        Rejects("bootstrap { enabled = on, config.endpoints = [\"10.0.0.1:8558\"] }", "router.cluster.bootstrap.enabled",
            "needs router.cluster.enabled = on");

    [Fact]
    public void Config_discovery_needs_endpoints() =>
        Rejects("enabled = on\nbootstrap.enabled = on", "router.cluster.bootstrap.config.endpoints", "must list every node's management endpoint");

    [Fact]
    public void More_required_contact_points_than_endpoints_could_never_form_a_cluster() =>
        Rejects(ConfigDiscovery + "\nbootstrap.required-contact-points = 4", "router.cluster.bootstrap.required-contact-points",
            "4 is more than the 3 endpoint(s)");

    [Fact]
    public void A_management_endpoint_bound_to_every_address_needs_a_public_hostname() =>
        Rejects(ConfigDiscovery + "\nbootstrap.management.hostname = \"0.0.0.0\"", "router.cluster.bootstrap.management.public-hostname",
            "is required when router.cluster.bootstrap.management.hostname (0.0.0.0) binds every address");

    [Fact]
    public void Port_0_is_read_but_cannot_be_used_with_bootstrap_on()
    {
        Assert.Equal(0, Read("bootstrap.management.port = 0").ManagementPort);
        Rejects(ConfigDiscovery + "\nbootstrap.management.port = 0", "router.cluster.bootstrap.management.port", "0 cannot be used with Cluster Bootstrap");
    }

    [Fact]
    public void The_management_port_is_not_the_remoting_port() =>
        Rejects(ConfigDiscovery + "\nport = 8558", "router.cluster.bootstrap.management.port", "8558 is also router.cluster.port");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_shipped_three_node_bootstrap_example_loads(int node)
    {
        var options = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("hocon", "bootstrap", $"node{node}.conf")));
        Assert.Equal($"node{node}", options.NodeName);
        Assert.Empty(options.Cluster.SeedNodes);
        var bootstrap = options.Cluster.Bootstrap;
        Assert.True(bootstrap.Enabled);
        Assert.Equal((DiscoveryMethod.Config, 3), (bootstrap.Discovery, bootstrap.RequiredContactPoints));
        Assert.Equal(8550 + node, bootstrap.ManagementPort);
        Assert.Contains($"127.0.0.1:{bootstrap.ManagementPort}", bootstrap.ConfigEndpoints);
    }

    [Fact]
    public void The_kubernetes_example_loads_with_what_the_pod_appends_at_start()
    {
        // deploy/kubernetes/statefulset.yaml appends these three lines to the ConfigMap's file.
        var text = File.ReadAllText(RepositoryFile("deploy", "kubernetes", "router.conf")) + """

            router.cluster.public-hostname = "10.1.0.10"
            router.cluster.bootstrap.management.public-hostname = "10.1.0.10"
            router.admin.token = "0123456789abcdef0123456789abcdef"
            """;
        var options = RouterConfig.ToOptions(RouterConfig.Parse(text));
        var bootstrap = options.Cluster.Bootstrap;
        Assert.True(bootstrap.Enabled);
        Assert.Equal(DiscoveryMethod.Kubernetes, bootstrap.Discovery);
        Assert.Equal(("0.0.0.0", "10.1.0.10", 8558), (bootstrap.ManagementHostname, bootstrap.AdvertisedManagementHostname, bootstrap.ManagementPort));
        Assert.Equal("10.1.0.10", options.Cluster.PublicHostname);
        Assert.Equal(9110, options.Admin.Listen.Port);
    }

    [Fact]
    public void The_kubernetes_example_alone_is_refused_for_want_of_the_pod_ip() =>
        Assert.Equal("router.cluster.bootstrap.management.public-hostname",
            Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("deploy", "kubernetes", "router.conf")))).Key);

    [Fact]
    public void The_container_image_config_loads()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("deploy", "docker", "router.conf")));
        Assert.Equal("/var/lib/router/spool", options.Spool.Path);
        Assert.Equal(2525, options.Smtp.Listen[0].Port);
    }

    [Theory]
    [InlineData("bootstrap.enabled = perhaps", "router.cluster.bootstrap.enabled", "expected on or off")]
    [InlineData("bootstrap.discovery = dns", "router.cluster.bootstrap.discovery", "expected config or kubernetes, got \"dns\"")]
    [InlineData("bootstrap.service-name = \"Mail Router\"", "router.cluster.bootstrap.service-name", "is not a valid service name")]
    [InlineData("bootstrap.service-name = \"router.mail\"", "router.cluster.bootstrap.service-name", "is not a valid service name")]
    [InlineData("bootstrap.required-contact-points = 0", "router.cluster.bootstrap.required-contact-points", "must be at least 1")]
    [InlineData("bootstrap.management.hostname = \"bad host\"", "router.cluster.bootstrap.management.hostname", "is not an IP address or host name")]
    [InlineData("bootstrap.management.public-hostname = \"bad host\"", "router.cluster.bootstrap.management.public-hostname", "is not an IP address or host name")]
    [InlineData("bootstrap.management.port = 70000", "router.cluster.bootstrap.management.port", "out of range 0-65535")]
    [InlineData("bootstrap.config.endpoints = [\"10.0.0.1\"]", "router.cluster.bootstrap.config.endpoints[0]", "is not a management endpoint")]
    [InlineData("bootstrap.config.endpoints = [\"10.0.0.1:8558\", \"10.0.0.2:0\"]", "router.cluster.bootstrap.config.endpoints[1]", "is not a management endpoint")]
    [InlineData("bootstrap.config.endpoints = \"10.0.0.1:8558\"", "router.cluster.bootstrap.config.endpoints", "expected a list")]
    [InlineData("bootstrap.kubernetes.pod-label-selector = \" \"", "router.cluster.bootstrap.kubernetes.pod-label-selector", "must select the pods")]
    [InlineData("bootstrap.kubernetes.pod-label-selector = \"app={1}\"", "router.cluster.bootstrap.kubernetes.pod-label-selector", "is not a selector such as app={0}")]
    [InlineData("bootstrap.kubernetes.pod-namespace = \"Mail_NS\"", "router.cluster.bootstrap.kubernetes.pod-namespace", "is not a Kubernetes namespace name")]
    public void Bad_values_are_rejected_naming_the_key(string cluster, string key, string problem) =>
        Rejects(cluster, key, problem);

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
