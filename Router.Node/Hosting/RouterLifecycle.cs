using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Ingress;

namespace Router.Node.Hosting;

/// <summary>Orderly shutdown: stop accepting mail and let open transactions finish before the actors stop.</summary>
internal sealed class RouterLifecycle(IRequiredActor<IngressActor> ingress, RouterOptions options, ILogger<RouterLifecycle> logger, IServiceProvider services)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // After "cluster leave" the node closed its listener itself and the actor system is gone.
        if (services.GetService(typeof(ActorSystem)) is ActorSystem { WhenTerminated.IsCompleted: true })
            return;
        try
        {
            var grace = options.Smtp.ShutdownGrace;
            var actor = await ingress.GetAsync(cancellationToken);
            await actor.Ask<IngressActor.Done>(new IngressActor.StopListening(grace), grace + TimeSpan.FromSeconds(5), cancellationToken);
            logger.LogInformation("SMTP listener closed; stopping the node");
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "SMTP listener did not close cleanly");
        }
    }
}
