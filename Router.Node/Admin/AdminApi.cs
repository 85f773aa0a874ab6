using System.Text;
using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Messages.Queue;

namespace Router.Node.Admin;

/// <summary>
/// Every route of the admin endpoint, mapped in <see cref="Map"/>: the one place to add more
/// (<c>/metrics</c>, <c>/api/track/{id}</c>, the dashboard page <c>/</c>). Each is documented in README.md,
/// "Operating the router", and listed by <c>GET /api</c>.
/// </summary>
public static class AdminApi
{
    /// <summary>Actor hierarchy depth when the client gives none.</summary>
    public const int DefaultDepth = 10;

    public static readonly IReadOnlyList<string> Routes =
    [
        "GET /api",
        "GET /api/cluster (each member's queue depth, rates and config hash)",
        "POST /api/cluster/leave?address=A",
        "POST /api/cluster/down?address=A",
        "GET /api/actors?depth=N&all=true",
        "GET /api/firewalls",
        "GET /api/firewalls/{id}?node=N",
        "POST /api/firewalls/{id}/trip|reset|drain?node=N",
        "POST /api/firewalls/{id}/trip|reset|drain?all-nodes=true",
        "POST /api/firewalls/{id}/redirect?to=C&node=N",
        "DELETE /api/firewalls/{id}/redirect?node=N",
        "GET /api/connectors",
        "POST /api/connectors/{id}/suspend?node=N",
        "POST /api/connectors/{id}/resume?node=N",
        "GET /api/queue?connector=C&firewall=F&state=S&sender=A&node=N",
        "POST /api/queue/retry?id=Q&node=N",
        "DELETE /api/queue/{id}?bounce=true&node=N",
        .. QueueHoldApi.Routes,
        "GET /api/route/{address}?sender=S&size=N",
        "POST /api/config/reload?all-nodes=true",
        "GET /api/tail",
        "GET /api/track/{message-id or queue-id}",
        "GET /api/throughput",
        "GET /metrics",
        "GET /health/live (no token)",
        "GET /health/ready (no token)",
        "GET /",
    ];

    public static void Map(IEndpointRouteBuilder routes, NodeQueries node, ClusterOperations cluster, DashboardSamples samples, ActorSystem system,
        CancellationToken stopping, RouterMetrics metrics, MessageTrackingLog tracking)
    {
        routes.MapGet("/api", () => new NodeInfo(node.NodeName, node.Address, node.UpSince, Routes)
        {
            Config = new ConfigInfo(node.Config.Path, node.Config.Hash, node.Config.RoutingHash, node.Config.LoadedAt),
        });

        routes.MapGet("/api/cluster", (CancellationToken ct) => cluster.ClusterAsync(ct));
        var reloads = new ConfigReloads(system, node.NodeName, node.Clustered);
        routes.MapPost("/api/config/reload", async (HttpRequest request, CancellationToken ct) =>
            request.Query["all-nodes"].FirstOrDefault() is "true" or "1"
                ? Results.Json(await reloads.ReloadAllAsync(ct), AdminJson.Options)
                : Results.Json(await reloads.ReloadAsync(ct), AdminJson.Options));
        routes.MapPost("/api/cluster/leave", (string? address, CancellationToken ct) =>
            node.Clustered ? node.LeaveAsync(address, ct) : throw NotClustered("leave", address));
        routes.MapPost("/api/cluster/down", (string? address) =>
            node.Clustered ? node.Down(address) : throw NotClustered("down", address));

        routes.MapGet("/api/actors", (int? depth, bool? all) => node.Actors(depth ?? DefaultDepth, all ?? false));

        routes.MapGet("/api/firewalls", (CancellationToken ct) => node.FirewallsAsync(ct));
        routes.MapGet("/api/firewalls/{id}", (string id, HttpRequest request, CancellationToken ct) =>
            node.FirewallAsync(id, request.Query["node"].FirstOrDefault(), ct));
        // In a cluster these act on every Up member by default, or on ?node=N (ClusterOperations).
        routes.MapPost("/api/firewalls/{id}/redirect", (string id, string? to, string? node, CancellationToken ct) =>
            to is null ? throw AdminException.BadRequest("redirect needs ?to=<connector>") : cluster.CommandAsync("redirect", id, to, false, node, ct));
        routes.MapDelete("/api/firewalls/{id}/redirect", (string id, string? node, CancellationToken ct) =>
            cluster.CommandAsync("cancel-redirect", id, null, false, node, ct));
        routes.MapPost("/api/firewalls/{id}/{action}", async (string id, string action, HttpRequest request, CancellationToken ct) =>
            request.Query["all-nodes"].FirstOrDefault() is "true" or "1"
                ? Results.Json(await node.FirewallCommandAllAsync(id, action, ct), AdminJson.Options)
                : Results.Json(await node.FirewallCommandAsync(id, action, request.Query["node"].FirstOrDefault(), ct), AdminJson.Options));

        routes.MapGet("/api/connectors", (CancellationToken ct) => node.ConnectorsAsync(ct));
        routes.MapPost("/api/connectors/{id}/suspend", (string id, string? node, CancellationToken ct) => cluster.CommandAsync("suspend", id, null, false, node, ct));
        routes.MapPost("/api/connectors/{id}/resume", (string id, string? node, CancellationToken ct) => cluster.CommandAsync("resume", id, null, false, node, ct));

        // In a cluster: every Up member's queue (a node per row), or ?node=N's; a queue id is acted on by the member holding it.
        routes.MapGet("/api/queue", (string? connector, string? firewall, string? state, string? sender, string? node, CancellationToken ct) =>
            cluster.QueueAsync(new ListQueue(connector, firewall, state, sender), node, ct));
        routes.MapPost("/api/queue/retry", (string? id, string? node, CancellationToken ct) => cluster.CommandAsync("retry", id, null, false, node, ct));
        routes.MapDelete("/api/queue/{id}", (string id, bool? bounce, string? node, CancellationToken ct) =>
            cluster.CommandAsync("delete", id, null, bounce ?? false, node, ct));

        routes.MapGet("/api/route/{address}", (string address, string? sender, long? size, CancellationToken ct) => node.RouteAsync(address, ct, sender, size));

        routes.MapGet("/api/tail", (HttpContext context) => TailAsync(context, node, system, stopping));

        routes.MapGet("/api/track/{id}", async (string id, CancellationToken ct) =>
        {
            if (!tracking.Enabled)
                throw new AdminException(AdminException.StatusCodes.NotFound, "message tracking is off on this node (router.tracking.enabled = off)");
            var events = await tracking.FindAsync(id, ct);
            if (events.Count == 0)
                throw new AdminException(AdminException.StatusCodes.NotFound, $"no tracking events for '{id}' (a queue id or a Message-ID)");
            return Results.Json(events, TrackingJsonContext.Default.IReadOnlyListTrackingEvent);
        });
        routes.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = RouterMetrics.ContentType;
            await metrics.ExportAsync(context.Response.Body, context.RequestAborted);
        });

        // The dashboard: its page, and the chart's history kept by the node.
        routes.MapGet("/api/throughput", () => samples.Series());
        DashboardPage.Map(routes);
    }

    /// <summary>Alone there is nothing to leave or down.</summary>
    private static AdminException NotClustered(string command, string? address) =>
        new(AdminException.StatusCodes.Conflict,
            $"not in a cluster: cluster {command}{(address is null ? string.Empty : $" {address}")} needs clustering; to stop this node gracefully send it SIGTERM (Ctrl-C)");

    /// <summary>Server-sent events: a comment once subscribed, then one event per health transition or routing event, a keep-alive comment every 15s.</summary>
    private static async Task TailAsync(HttpContext context, NodeQueries node, ActorSystem system, CancellationToken stopping)
    {
        var channel = TailSubscriber.NewChannel();
        var subscriber = system.ActorOf(TailSubscriber.Props(channel.Writer), $"admin-tail-{Guid.NewGuid():N}");
        try
        {
            // Once the actor answers, its PreStart has subscribed it: nothing published from now on is missed.
            await subscriber.Ask<ActorIdentity>(new Identify(null), NodeQueries.AskTimeout, context.RequestAborted);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            await WriteAsync(context, $": tailing {node.NodeName}\n\n", ended.Token);
            while (!ended.IsCancellationRequested)
            {
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(ended.Token);
                keepAlive.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    await channel.Reader.WaitToReadAsync(keepAlive.Token);
                }
                catch (OperationCanceledException) when (!ended.IsCancellationRequested)
                {
                    await WriteAsync(context, ": keep-alive\n\n", ended.Token);
                    continue;
                }
                var text = new StringBuilder();
                while (channel.Reader.TryRead(out var e))
                    text.Append("event: ").Append(e.Type).Append("\ndata: ").Append(JsonSerializer.Serialize(e, AdminJson.Options)).Append("\n\n");
                await WriteAsync(context, text.ToString(), ended.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or the node is stopping.
        }
        finally
        {
            system.Stop(subscriber);
        }
    }

    private static async Task WriteAsync(HttpContext context, string text, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync(text, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
