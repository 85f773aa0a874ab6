using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Router.Actors.Ingress;
using Router.Actors.Spool;

namespace Router.Node.Admin;

/// <summary>
/// <c>GET /health/live</c> and <c>GET /health/ready</c> for load balancers and orchestrators, as
/// ASP.NET Core health checks. They answer without the admin token (see <see cref="IsPublic"/>) and
/// so say nothing but <c>Healthy</c> (200) or <c>Unhealthy</c> (503); the reason is in the node's log
/// and in <c>router cmd</c>.
/// </summary>
public static class HealthEndpoints
{
    public const string Live = "/health/live";
    public const string Ready = "/health/ready";

    /// <summary>How long readiness waits for the ingress actor's answer before it calls the node not ready.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    public static void AddRouterHealthChecks(this IServiceCollection services, ActorSystem system, IActorRef ingress, MessageSpool spool, bool clustered,
        ILogger logger)
    {
        var live = new LivenessCheck(system);
        var ready = new ReadinessCheck(system, ingress, spool, clustered, logger);
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("live", _ => live, HealthStatus.Unhealthy, ["live"]))
            .Add(new HealthCheckRegistration("ready", _ => ready, HealthStatus.Unhealthy, ["ready"]));
    }

    public static void MapRouterHealthChecks(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks(Live, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        routes.MapHealthChecks(Ready, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
    }

    /// <summary>The two paths that answer without the admin token.</summary>
    public static bool IsPublic(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && (request.Path == Live || request.Path == Ready);

    /// <summary>Live: the process answers and its actor system runs. A failed live check means: restart it.</summary>
    private sealed class LivenessCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(system.WhenTerminated.IsCompleted
                ? HealthCheckResult.Unhealthy("the actor system has terminated")
                : HealthCheckResult.Healthy());
    }

    /// <summary>
    /// Ready: send mail here. The spool is open, every SMTP listener is open and accepting (not
    /// closing for a shutdown or a cluster leave), no back pressure, and, clustered, this node is an
    /// Up member.
    /// </summary>
    private sealed class ReadinessCheck(ActorSystem system, IActorRef ingress, MessageSpool spool, bool clustered, ILogger logger) : IHealthCheck
    {
        // What the last check said: a change is logged once, not at every probe of an orchestrator.
        private string? _lastReason = "";

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var reason = await NotReadyReasonAsync(cancellationToken);
            if (Interlocked.Exchange(ref _lastReason, reason) != reason)
            {
                if (reason is null)
                    logger.LogInformation("Readiness (GET /health/ready): ready");
                else
                    logger.LogWarning("Readiness (GET /health/ready): not ready: {Reason}", reason);
            }
            return reason is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(reason);
        }

        private async Task<string?> NotReadyReasonAsync(CancellationToken cancellationToken)
        {
            if (system.WhenTerminated.IsCompleted)
                return "the actor system has terminated";
            if (!spool.IsOpen)
                return "the spool is closed";
            if (clustered && Cluster.Get(system).SelfMember.Status is var status && status != MemberStatus.Up)
                return $"cluster member status is {status}, not Up";
            try
            {
                var readiness = await ingress.Ask<IngressActor.Readiness>(IngressActor.GetReadiness.Instance, AskTimeout, cancellationToken);
                return readiness.Ready ? null : readiness.Reason ?? "the ingress is not ready";
            }
            catch (AskTimeoutException)
            {
                return $"the ingress actor did not answer within {AskTimeout.TotalSeconds:0} s";
            }
        }
    }
}
