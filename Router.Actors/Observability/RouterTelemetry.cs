using Akka.Actor;
using Router.Actors.Observability.Tracing;
using Router.Actors.Observability.Tracking;

namespace Router.Actors.Observability;

/// <summary>
/// The node's metrics and message tracking log as an actor-system extension, so that every actor
/// reaches them with <see cref="Get"/> without a constructor parameter. The host registers the
/// instances it created (<see cref="Register"/>) before it starts the actors; a system where none
/// was registered (unit tests of one actor) gets metrics nobody reads and a disabled tracking log.
/// </summary>
public sealed class RouterTelemetry : IExtension
{
    public RouterTelemetry(RouterMetrics metrics, MessageTrackingLog tracking, MessageTracing? tracing = null)
    {
        Metrics = metrics;
        Tracking = tracking;
        Tracing = tracing ?? MessageTracing.Unnamed;
    }

    public RouterMetrics Metrics { get; }

    public MessageTrackingLog Tracking { get; }

    /// <summary>The node's spans (OpenTelemetry): one trace per message.</summary>
    public MessageTracing Tracing { get; }

    /// <summary>Makes <paramref name="telemetry"/> this system's; call before any actor uses <see cref="Get"/>.</summary>
    /// <exception cref="InvalidOperationException">The system already has other telemetry.</exception>
    public static RouterTelemetry Register(ActorSystem system, RouterTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(telemetry);
        var registered = (RouterTelemetry)system.RegisterExtension(new Id(telemetry));
        return ReferenceEquals(registered, telemetry)
            ? registered
            : throw new InvalidOperationException("This actor system already has its telemetry; register it before the first actor starts.");
    }

    /// <summary>This system's telemetry (see <see cref="Register"/>).</summary>
    public static RouterTelemetry Get(ActorSystem system) =>
        (RouterTelemetry)system.RegisterExtension(new Id(null));

    private sealed class Id(RouterTelemetry? telemetry) : ExtensionIdProvider<RouterTelemetry>
    {
        public override RouterTelemetry CreateExtension(ExtendedActorSystem system) =>
            telemetry ?? new RouterTelemetry(new RouterMetrics(), MessageTrackingLog.Disabled);
    }
}
