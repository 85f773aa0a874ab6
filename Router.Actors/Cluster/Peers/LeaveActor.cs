using Akka.Actor;
using Akka.Event;
using Router.Actors.Ingress;
using Router.Actors.Routing;
using Router.Actors.Spool;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// One per clustered node (<c>/user/leave</c>): a graceful leave. On <see cref="LeaveNode"/> the node
/// stops taking mail (the SMTP listener closes after its open transactions, peers' handovers are
/// refused), the router hands every queued part to the other nodes (each one acknowledged durable
/// there) while deliveries already under way finish, and once the spool is empty, or
/// <c>router.cluster.drain-timeout</c> has passed, the node leaves the cluster and stops
/// (Akka's coordinated shutdown). Mail still here after the timeout stays in the spool for the
/// next start.
/// </summary>
public sealed class LeaveActor : ReceiveActor, IWithTimers
{
    public const string Name = "leave";

    private sealed class Check
    {
        public static readonly Check Instance = new();
        private Check() { }
    }

    private sealed class TimedOut
    {
        public static readonly TimedOut Instance = new();
        private TimedOut() { }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageSpool _spool;
    private readonly TimeProvider _clock;
    private bool _leaving;
    private bool _listenerClosed;
    private bool _left;
    private DateTimeOffset _since;

    public LeaveActor(IActorRef ingress, IActorRef routing, MessageSpool spool, LeaveState state, TimeSpan drainTimeout, TimeSpan smtpGrace, TimeProvider clock)
    {
        _spool = spool;
        _clock = clock;
        Receive<LeaveNode>(request =>
        {
            var address = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
            var queued = spool.Statistics.MessagesQueued;
            if (_leaving)
            {
                Sender.Tell(new LeaveStarted(address, queued, AlreadyLeaving: true));
                return;
            }

            _leaving = true;
            _since = _clock.GetUtcNow();
            state.Begin();
            _log.Warning("Leaving the cluster (asked by {RequestedBy}): taking no more mail; handing {Queued} queued message(s) to the other nodes, for up to {Timeout}",
                request.RequestedBy, queued, drainTimeout);
            ingress.Tell(new IngressActor.StopListening(smtpGrace));
            routing.Tell(StartDrain.Instance);
            Timers.StartPeriodicTimer("check", Check.Instance, TimeSpan.FromMilliseconds(250));
            Timers.StartSingleTimer("timeout", TimedOut.Instance, drainTimeout);
            Sender.Tell(new LeaveStarted(address, queued, AlreadyLeaving: false));
        });
        Receive<IngressActor.Done>(_ => _listenerClosed = true);
        Receive<Check>(_ =>
        {
            if (_listenerClosed && _spool.Statistics.MessagesQueued == 0)
                Leave($"queue handed over in {(_clock.GetUtcNow() - _since).TotalSeconds:0.#}s");
        });
        Receive<TimedOut>(_ =>
        {
            _log.Warning("Leaving with {Queued} message(s) still queued after {Timeout}: they stay in the spool and go out when this node starts again",
                _spool.Statistics.MessagesQueued, drainTimeout);
            Leave("drain timeout");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef ingress, IActorRef routing, MessageSpool spool, LeaveState state, TimeSpan drainTimeout, TimeSpan smtpGrace,
        TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new LeaveActor(ingress, routing, spool, state, drainTimeout, smtpGrace, clock ?? TimeProvider.System));

    private void Leave(string why)
    {
        if (_left)
            return;
        _left = true;
        Timers.CancelAll();
        _log.Warning("Leaving the cluster now ({Why}); the node stops once the others have seen it go", why);
        CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
    }
}
