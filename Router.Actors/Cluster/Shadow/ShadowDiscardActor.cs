using Akka.Actor;
using Router.Actors.Cluster.Peers;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// One per clustered node (<c>/user/shadow-discards</c>): gathers the queue ids whose shadow copies can go, per
/// holder, and sends each holder one <see cref="ShadowDiscard"/> a second, or at once when
/// <see cref="MaxBatch"/> ids are waiting for it. Discards are best effort: one lost on the way leaves a copy that
/// the holder drops when this node comes back, or promotes (a duplicate) if this node is lost.
/// </summary>
public sealed class ShadowDiscardActor : ReceiveActor, IWithTimers
{
    public const string Name = "shadow-discards";

    public const int MaxBatch = 500;

    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly string _owner;
    private readonly Dictionary<Address, List<string>> _pending = [];

    public ShadowDiscardActor()
    {
        _owner = PeerOutbox.OwnerOf(Context.System);
        Receive<Discard>(d =>
        {
            if (!_pending.TryGetValue(d.Holder, out var ids))
                _pending[d.Holder] = ids = [];
            ids.AddRange(d.QueueIds);
            while (ids.Count >= MaxBatch)
            {
                Send(d.Holder, ids.GetRange(0, MaxBatch));
                ids.RemoveRange(0, MaxBatch);
            }
        });
        Receive<Flush>(_ => FlushAll());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new ShadowDiscardActor());

    protected override void PreStart() => Timers.StartPeriodicTimer("flush", Flush.Instance, FlushInterval);

    // A node stopping in order sends what it has, so holders need not keep copies of mail already delivered.
    protected override void PostStop() => FlushAll();

    private void FlushAll()
    {
        foreach (var (holder, ids) in _pending)
        {
            if (ids.Count > 0)
                Send(holder, ids.ToArray());
        }

        _pending.Clear();
    }

    private void Send(Address holder, IReadOnlyList<string> ids) =>
        Context.ActorSelection(new RootActorPath(holder) / "user" / ShadowKeeperActor.Name).Tell(new ShadowDiscard(_owner, ids.ToArray()));

    /// <summary>Local only: these messages' copies on <paramref name="Holder"/> can go.</summary>
    public sealed record Discard(Address Holder, IReadOnlyList<string> QueueIds) : INoSerializationVerificationNeeded;

    private sealed class Flush
    {
        public static readonly Flush Instance = new();

        private Flush()
        {
        }
    }
}
