namespace Router.Actors.Configuration;

/// <summary>Where Cluster Bootstrap looks for the other nodes' management endpoints.</summary>
public enum DiscoveryMethod
{
    /// <summary><c>config</c>: the endpoints listed in <c>router.cluster.bootstrap.config.endpoints</c>.</summary>
    Config,

    /// <summary><c>kubernetes</c>: the running pods that match a label selector, through the Kubernetes API.</summary>
    Kubernetes,
}

/// <summary>
/// <c>router.cluster.bootstrap</c>: forming the cluster through Akka.Management's Cluster Bootstrap instead
/// of a hand-written seed list. Each node serves a small management HTTP endpoint; the nodes find each
/// other's endpoints through Akka.Discovery, ask each other whether a cluster exists, and, when none does
/// and at least <see cref="RequiredContactPoints"/> answered, the one with the lowest address starts it.
/// Off by default; defaults live in the embedded reference.conf.
/// </summary>
public sealed record BootstrapSettings
{
    /// <summary>The name of the management endpoint's port on a Kubernetes pod (the container port must carry it).</summary>
    public const string KubernetesPortName = "management";

    /// <summary><c>enabled</c>: form or join the cluster through Cluster Bootstrap; <c>seed-nodes</c> must then be empty. Default off.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>discovery</c>: <c>config</c> or <c>kubernetes</c>. Default config.</summary>
    public DiscoveryMethod Discovery { get; init; } = DiscoveryMethod.Config;

    /// <summary><c>service-name</c>: the name the nodes are looked up by (and <c>{0}</c> in the pod label selector). Default router.</summary>
    public string ServiceName { get; init; } = "router";

    /// <summary>
    /// <c>required-contact-points</c>: management endpoints that must be found and answer before a new cluster is
    /// formed; set it to the number of nodes started together. Default 2.
    /// </summary>
    public int RequiredContactPoints { get; init; } = 2;

    /// <summary><c>management.hostname</c>: the address the management endpoint binds to. Default 127.0.0.1.</summary>
    public string ManagementHostname { get; init; } = "127.0.0.1";

    /// <summary>
    /// <c>management.public-hostname</c>: the name this node's management endpoint is found by in discovery (a pod IP,
    /// the host name in <c>config.endpoints</c>), when it differs from <see cref="ManagementHostname"/>. Default: hostname.
    /// </summary>
    public string? ManagementPublicHostname { get; init; }

    /// <summary><c>management.port</c>: the management endpoint's TCP port. Default 8558.</summary>
    public int ManagementPort { get; init; } = 8558;

    /// <summary><c>config.endpoints</c>: with <c>discovery = config</c>, every node's management endpoint as <c>host:port</c>. Default [].</summary>
    public IReadOnlyList<string> ConfigEndpoints { get; init; } = [];

    /// <summary><c>kubernetes.pod-label-selector</c>: the pods of this cluster; <c>{0}</c> is the service name. Default app={0}.</summary>
    public string PodLabelSelector { get; init; } = "app={0}";

    /// <summary><c>kubernetes.pod-namespace</c>: where the pods are looked for. Default: the pod's own namespace.</summary>
    public string? PodNamespace { get; init; }

    /// <summary>The host name this node's management endpoint is advertised and found by.</summary>
    public string AdvertisedManagementHostname => ManagementPublicHostname ?? ManagementHostname;
}
