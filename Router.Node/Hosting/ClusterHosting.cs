using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Discovery.Config.Hosting;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using Router.Actors.Configuration;

namespace Router.Node.Hosting;

public static class ClusterHosting
{
    /// <summary>
    /// Turns the node into a cluster member when <c>router.cluster.enabled</c> is on: remoting on
    /// the configured address, the seed nodes, the roles, keep-majority split brain resolver.
    /// With no seed nodes the node joins itself and so starts a cluster others can join, unless
    /// Cluster Bootstrap finds the nodes (<c>router.cluster.bootstrap</c>). Off, it does nothing:
    /// the node runs alone with the local actor provider, as before.
    /// </summary>
    public static AkkaConfigurationBuilder WithRouterClustering(this AkkaConfigurationBuilder akka, ClusterSettings cluster)
    {
        if (!cluster.Enabled)
            return akka;

        akka.WithRemoting(new RemoteOptions
        {
            HostName = cluster.Hostname,
            Port = cluster.Port,
            PublicHostName = cluster.PublicHostname,
        });
        akka.WithClustering(new ClusterOptions
        {
            SeedNodes = [.. cluster.SeedNodes],
            Roles = [.. cluster.Roles],
            MinimumNumberOfMembers = cluster.MinNrOfMembers,
            SplitBrainResolver = SplitBrainResolverOption.Default,
        });
        // Only explicitly bound types cross the wire: a message without a binding fails where it
        // is sent instead of travelling as Newtonsoft JSON.
        akka.AddHocon("akka.actor.serialization-settings.allow-unregistered-types = off", HoconAddMode.Prepend);
        if (cluster.Bootstrap.Enabled)
        {
            akka.WithRouterBootstrap(cluster.Bootstrap);
        }
        else if (cluster.SeedNodes.Count == 0)
        {
            akka.AddStartup((system, _) =>
            {
                var self = Akka.Cluster.Cluster.Get(system);
                self.Join(self.SelfAddress);
            });
        }

        return akka;
    }

    /// <summary>
    /// Cluster Bootstrap: the management endpoint the nodes probe each other on (<see cref="ContactPointEndpoint"/>),
    /// started once the actor system is up, and the discovery that lists those endpoints (the configured ones, or
    /// the pods the Kubernetes API returns). Bootstrap joins an existing cluster when any endpoint reports one, and
    /// otherwise, once <c>required-contact-points</c> endpoints answer and none is in a cluster, has the node with
    /// the lowest address start it.
    /// </summary>
    private static void WithRouterBootstrap(this AkkaConfigurationBuilder akka, BootstrapSettings bootstrap)
    {
        var options = new ClusterBootstrapOptions();
        options.ContactPointDiscovery.ServiceName = bootstrap.ServiceName;
        options.ContactPointDiscovery.RequiredContactPointsNr = bootstrap.RequiredContactPoints;
        // A discovered node without a port (a pod whose port is not named "management") is probed on ours.
        options.ContactPoint.FallbackPort = bootstrap.ManagementPort;
        if (bootstrap.Discovery == DiscoveryMethod.Kubernetes)
            options.ContactPointDiscovery.PortName = BootstrapSettings.KubernetesPortName;
        else
            // Config discovery lists management endpoints only, each with its own port (several nodes on one host):
            // keep them all instead of only those on this node's management port.
            options.ContactPoint.FilterOnFallbackPort = false;
        akka.WithClusterBootstrap(options, autoStart: false);

        switch (bootstrap.Discovery)
        {
            case DiscoveryMethod.Config:
                akka.WithConfigDiscovery(new ConfigServiceDiscoveryOptions
                {
                    Services = [new Service { Name = bootstrap.ServiceName, Endpoints = [.. bootstrap.ConfigEndpoints] }],
                });
                break;
            case DiscoveryMethod.Kubernetes:
                akka.AddHocon($$"""
                    akka.discovery.method = {{KubernetesPodDiscovery.MethodName}}
                    {{KubernetesPodDiscovery.ConfigPath}} {
                      class = {{Quoted(typeof(KubernetesPodDiscovery).AssemblyQualifiedName!)}}
                      # Empty: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the API server seen from a pod.
                      api-url = ""
                      token-path = "/var/run/secrets/kubernetes.io/serviceaccount/token"
                      ca-path = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
                      namespace-path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
                      pod-namespace = {{Quoted(bootstrap.PodNamespace ?? string.Empty)}}
                      pod-label-selector = {{Quoted(bootstrap.PodLabelSelector)}}
                    }
                    """, HoconAddMode.Prepend);
                break;
        }

        akka.AddStartup(async (system, _) => await ContactPointEndpoint.StartAsync(system, bootstrap));
    }

    private static string Quoted(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>
    /// The <c>akka</c> section of the node's configuration file, if it has one, over everything the
    /// host set: operators tune Akka (split brain resolver timings, failure detector, logging)
    /// with Akka's own keys. Call it last.
    /// </summary>
    public static AkkaConfigurationBuilder WithAkkaOverrides(this AkkaConfigurationBuilder akka, Config? hocon)
    {
        if (hocon is not null && hocon.HasPath("akka"))
            akka.AddHocon(hocon, HoconAddMode.Prepend);
        return akka;
    }
}
