using System.Net;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Ingress;
using Router.Actors.Routing;
using Router.Actors.Spool;

using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;

namespace Router.Node.Admin;

/// <summary>
/// The node's admin endpoint (<c>router.admin</c>): Kestrel serving the JSON API of
/// <see cref="AdminApi"/>. Started after the actors and stopped before them. Anything but a
/// loopback address needs <c>router.admin.token</c>; with a token set, every request must carry it
/// as <c>Authorization: Bearer &lt;token&gt;</c>.
/// </summary>
public sealed class AdminEndpoint(IServiceProvider services, RouterOptions options, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggerFactory.CreateLogger("Router.Admin");
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    /// <summary>The address the endpoint is bound to (a configured port 0 becomes the real port); null when disabled or not started.</summary>
    public IPEndPoint? BoundEndpoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var admin = options.Admin;
        var system = services.GetRequiredService<ActorSystem>();
        var registry = services.GetRequiredService<ActorRegistry>();
        var routing = registry.Get<RoutingActor>();
        var node = new NodeQueries(system, routing, services.GetRequiredService<RunningConfig>(), services.GetRequiredService<MessageSpool>());
        var metrics = services.GetRequiredService<RouterMetrics>();
        // Sampled and answered to the other members even with this node's own endpoint off: any member's
        // `router cmd queue` and `cluster show` reach this node through its node-admin actor.
        var samples = DashboardSamples.Start(() => node.SpoolStatistics, metrics, _stopping.Token);
        var operations = new ClusterOperations(system, node, samples, routing, services.GetRequiredService<MessageSpool>(),
            services.GetRequiredService<MessageTrackingLog>());
        system.ActorOf(NodeAdminActor.Props(operations), NodeAdminActor.Name);
        if (!admin.Enabled)
        {
            _log.LogInformation("Admin endpoint disabled (router.admin.enabled = off)");
            return;
        }
        if (admin.TokenMissingForNonLoopback)
            throw new RouterConfigException("router.admin.token", $"is required when router.admin.listen ({admin.Listen}) is not a loopback address");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(admin.Listen));
        // A malformed parameter (depth=abc) throws, so that AnswerErrors gives it a JSON body.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = AdminJson.Options.PropertyNamingPolicy;
            json.SerializerOptions.DefaultIgnoreCondition = AdminJson.Options.DefaultIgnoreCondition;
        });
        builder.Services.AddRouterHealthChecks(system, registry.Get<IngressActor>(), services.GetRequiredService<MessageSpool>(),
            options.Cluster.Enabled, _log);
        var app = builder.Build();

        app.Use(RequireToken(admin.Token));
        app.Use(AnswerErrors);
        app.MapRouterHealthChecks();
        AdminApi.Map(app, node, operations, samples, system, _stopping.Token, metrics, services.GetRequiredService<MessageTrackingLog>());
        QueueHoldApi.Map(app, routing, operations, options, services.GetRequiredService<MessageSpool>(), services.GetRequiredService<MessageTrackingLog>());
        app.MapFallback(() => Results.Json(new ApiError("no such route; GET /api lists them"), AdminJson.Options, statusCode: AdminException.StatusCodes.NotFound));

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new IOException($"admin endpoint {admin.Listen} (router.admin.listen): {ex.Message}", ex);
        }
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        BoundEndpoint = bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri)
            ? new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port)
            : admin.Listen;
        _log.LogInformation("Admin endpoint listening on http://{Endpoint} ({Auth})", BoundEndpoint,
            admin.Token is null ? "no token: loopback only" : "bearer token required");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_app is null)
            return;
        await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string? token)
    {
        var expected = token is null ? null : Encoding.UTF8.GetBytes($"Bearer {token}");
        return (context, next) =>
        {
            // The dashboard's static files hold no data; the page sends the token with every API call.
            // The health endpoints say only Healthy or Unhealthy, for probes that carry no secret.
            if (expected is null || DashboardPage.IsPublic(context.Request) || HealthEndpoints.IsPublic(context.Request))
                return next(context);
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected))
                return next(context);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Json(new ApiError("unauthorized: missing or wrong token (Authorization: Bearer <router.admin.token>)"), AdminJson.Options,
                statusCode: AdminException.StatusCodes.Unauthorized).ExecuteAsync(context);
        };
    }

    private static async Task AnswerErrors(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (AdminException ex) when (!context.Response.HasStarted)
        {
            await Results.Json(new ApiError(ex.Message), AdminJson.Options, statusCode: ex.Status).ExecuteAsync(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await Results.Json(new ApiError(FirstLine(ex.Message)), AdminJson.Options, statusCode: ex.StatusCode).ExecuteAsync(context);
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
