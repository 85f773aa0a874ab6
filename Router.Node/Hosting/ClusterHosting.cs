using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Router.Actors.Configuration;

namespace Router.Node.Hosting;

public static class ClusterHosting
{
    /// <summary>
    /// Turns the node into a cluster member when <c>router.cluster.enabled</c> is on: remoting on
    /// the configured address, the seed nodes, the roles, keep-majority split brain resolver.
    /// With no seed nodes the node joins itself and so starts a cluster others can join. Off, it
    /// does nothing: the node runs alone with the local actor provider, as before.
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
        if (cluster.SeedNodes.Count == 0)
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
