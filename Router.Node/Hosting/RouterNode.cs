using Router.Actors.Cluster;
using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Health;
using Router.Actors.Ingress;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Actors.Cluster.Peers;
using Router.Actors.Routing;
using Router.Actors.Spool;
using Router.Node.Admin;

namespace Router.Node.Hosting;

/// <summary>A running node in this process: what the demo and the integration tests start.</summary>
public sealed class RouterNode : IAsyncDisposable
{
    private RouterNode(IHost host, IReadOnlyList<IPEndPoint> smtpEndpoints)
    {
        Host = host;
        SmtpEndpoints = smtpEndpoints;
    }

    public IHost Host { get; }

    /// <summary>The SMTP listeners' actual endpoints (a configured port 0 becomes the real port).</summary>
    public IReadOnlyList<IPEndPoint> SmtpEndpoints { get; }

    /// <summary>The endpoints each SMTP listener is bound to, by listener name (<c>default</c> without <c>smtp.listeners</c>).</summary>
    public async Task<IReadOnlyDictionary<string, IPEndPoint[]>> SmtpListenersAsync(CancellationToken cancellationToken = default)
    {
        var ingress = await Host.Services.GetRequiredService<IRequiredActor<IngressActor>>().GetAsync(cancellationToken);
        return await ingress.Ask<IReadOnlyDictionary<string, IPEndPoint[]>>(IngressActor.GetListenerEndpoints.Instance, TimeSpan.FromSeconds(30), cancellationToken);
    }

    public ActorSystem System => Host.Services.GetRequiredService<ActorSystem>();

    public MessageSpool Spool => Host.Services.GetRequiredService<MessageSpool>();

    /// <summary>This node's Prometheus metrics (<see cref="RouterMetrics.ExportAsync"/> is the body of /metrics).</summary>
    public RouterMetrics Metrics => Host.Services.GetRequiredService<RouterMetrics>();

    /// <summary>This node's message tracking log (<see cref="MessageTrackingLog.FindAsync"/> answers /api/track/{id}).</summary>
    public MessageTrackingLog Tracking => Host.Services.GetRequiredService<MessageTrackingLog>();

    /// <summary>The admin endpoint's actual address (a configured port 0 becomes the real port); null when <c>router.admin.enabled = off</c>.</summary>
    public IPEndPoint? AdminEndpoint => Host.Services.GetRequiredService<AdminEndpoint>().BoundEndpoint;

    public IActorRef Routing => Host.Services.GetRequiredService<ActorRegistry>().Get<RoutingActor>();

    /// <summary>Answers <c>GetClusterHealthView</c>: every node's firewalls (this node's alone when not clustered).</summary>
    public IActorRef HealthView => Host.Services.GetRequiredService<ActorRegistry>().Get<HealthViewActor>();

    /// <summary>Clustered only: sends messages to peers (<see cref="PeerOutbox.SendAsync"/>).</summary>
    public IActorRef PeerOutbox => Host.Services.GetRequiredService<ActorRegistry>().Get<PeerOutbox>();

    /// <summary>Clustered only: the shadow copies this node holds for its peers.</summary>
    public Router.Actors.Cluster.Shadow.ShadowStore? Shadows => Host.Services.GetService<Router.Actors.Cluster.Shadow.ShadowStore>();

    public static async Task<RouterNode> StartAsync(RouterOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var host = RouterHost.Build(options, logging ?? (_ => { }));
        try
        {
            await host.StartAsync(cancellationToken);
            var ingress = await host.Services.GetRequiredService<IRequiredActor<IngressActor>>().GetAsync(cancellationToken);
            var endpoints = await ingress.Ask<IPEndPoint[]>(IngressActor.GetEndpoints.Instance, TimeSpan.FromSeconds(30), cancellationToken);
            return new RouterNode(host, endpoints);
        }
        catch
        {
            await DisposeHostAsync(host);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await DisposeHostAsync(Host);

    private static async Task DisposeHostAsync(IHost host)
    {
        try
        {
            await host.StopAsync();
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
                await asyncDisposable.DisposeAsync();
            else
                host.Dispose();
        }
    }
}
