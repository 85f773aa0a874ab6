using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Management.Dsl;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Router.Actors.Configuration;

namespace Router.Node.Hosting;

/// <summary>
/// The management endpoint of Cluster Bootstrap (<c>router.cluster.bootstrap.management</c>): Kestrel serving
/// <c>GET /bootstrap/seed-nodes</c>, the one route the other nodes' bootstrap probes, answered exactly as
/// Akka.Management's own route answers it (its JSON types, its rules). Akka.Management's HTTP server is not
/// used: it runs on Ceen.Httpd 0.9.9, and the only Ceen.Httpd served here (0.9.10) changed the signature it
/// calls (MissingMethodException at bind). Started once the actor system is up; stopped before the node
/// leaves the cluster.
/// </summary>
internal sealed class ContactPointEndpoint
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    // Akka.Management's default akka.management.cluster.bootstrap.contact-point.max-seed-nodes-to-expose.
    private const int MaxSeedNodesToExpose = 5;

    /// <summary>Serves the route, tells Cluster Bootstrap where this node is found, and starts the bootstrap.</summary>
    public static async Task StartAsync(ActorSystem system, BootstrapSettings bootstrap)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var addresses = await BindAddressesAsync(bootstrap.ManagementHostname);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in addresses)
                kestrel.Listen(address, bootstrap.ManagementPort);
        });
        var app = builder.Build();
        app.MapGet(SeedNodesPath, () => SeedNodes(Akka.Cluster.Cluster.Get(system)));
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new IOException($"management endpoint {bootstrap.ManagementHostname}:{bootstrap.ManagementPort} (router.cluster.bootstrap.management): {ex.Message}", ex);
        }

        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "router-bootstrap-endpoint-stop", async () =>
        {
            await app.StopAsync();
            await app.DisposeAsync();
            return Akka.Done.Instance;
        });

        var host = IPAddress.TryParse(bootstrap.AdvertisedManagementHostname, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{bootstrap.AdvertisedManagementHostname}]"
            : bootstrap.AdvertisedManagementHostname;
        var self = new Uri($"http://{host}:{bootstrap.ManagementPort}/");
        Logging.GetLogger(system, "Router.Bootstrap").Info(
            "Cluster Bootstrap endpoint listening on {0} port {1}, found as {2}; discovering nodes through {3}",
            string.Join(", ", addresses), bootstrap.ManagementPort, self, bootstrap.Discovery);

        // Asking for the routes is how Cluster Bootstrap learns its own contact point (it matches itself among the
        // discovered ones by it); the route objects themselves belong to the unused Ceen server.
        var clusterBootstrap = ClusterBootstrap.Get(system);
        _ = clusterBootstrap.Routes(ManagementRouteProviderSettings.Create(self, true));
        await clusterBootstrap.Start();
    }

    /// <summary>What Akka.Management's <c>HttpClusterBootstrapRoutes</c> answers: this node, and the members it can vouch for.</summary>
    internal static IResult SeedNodes(Akka.Cluster.Cluster cluster)
    {
        // A node on its way out vouches for nobody. One that has not joined yet is not on its way out (Akka.NET reports
        // its self member as Removed until it joins): it answers with no members, which is what bootstrap waits for.
        var state = cluster.State;
        var joined = state.Members.Any(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress));
        if (cluster.IsTerminated
            || (joined && cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed))
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);

        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(MaxSeedNodesToExpose)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        // Newtonsoft, as the probing side (HttpContactPointBootstrap) reads it.
        var json = JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfMember.UniqueAddress.Address, members));
        return Results.Text(json, "application/json");
    }

    private static async Task<IPAddress[]> BindAddressesAsync(string hostname)
    {
        if (IPAddress.TryParse(hostname, out var address))
            return [address];
        var resolved = await Dns.GetHostAddressesAsync(hostname);
        return resolved.Length > 0 ? resolved : throw new IOException($"router.cluster.bootstrap.management.hostname: \"{hostname}\" resolves to no address");
    }
}
