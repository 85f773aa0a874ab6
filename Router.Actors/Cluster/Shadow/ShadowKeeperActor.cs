using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Spool;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// One per clustered node (<c>/user/shadow-keeper</c>): looks after the shadow copies this node holds for others.
/// Drops copies the owners discard, and retires the recipients an owner handed to a peer (<see cref="ShadowRetire"/>,
/// from that peer, answered once durable). Watches membership and, for each owner incarnation it holds copies of:
/// <list type="bullet">
/// <item>a member (joining, up, leaving): keep the copies;</item>
/// <item>the same address with another incarnation is a member: the owner restarted with its own spool, drop them;</item>
/// <item>otherwise (downed, removed, or absent since this node started): lost. After
/// <see cref="ShadowOptions.PromoteAfter"/> (in which a restarted owner would show up) promote them: they become
/// messages of this node's queue and are delivered from here.</item>
/// </list>
/// Decisions wait until this node is Up, so that it judges from a settled view of the cluster.
/// </summary>
public sealed class ShadowKeeperActor : ReceiveActor, IWithTimers
{
    public const string Name = "shadow-keeper";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ShadowStore _store;
    private readonly MessageSpool _spool;
    private readonly IActorRef _router;
    private readonly ShadowOptions _options;
    private readonly ShadowMetrics? _metrics;
    private readonly Dictionary<UniqueAddress, MemberStatus> _members = [];
    private readonly HashSet<string> _lostSince = new(StringComparer.Ordinal);
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private bool _selfUp;

    public ShadowKeeperActor(ShadowStore store, MessageSpool spool, IActorRef router, ShadowOptions options, ShadowMetrics? metrics)
    {
        _store = store;
        _spool = spool;
        _router = router;
        _options = options;
        _metrics = metrics;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);

        Receive<ShadowDiscard>(d =>
        {
            _store.DiscardAsync(d.Owner, d.QueueIds).PipeTo(Self, success: n => new Discarded(d.Owner, n), failure: e => new Failed(d.Owner, "discard", e));
        });
        Receive<ShadowRetire>(r =>
        {
            var replyTo = Sender;
            _store.RetireAsync(r.Owner, r.QueueId, r.Recipients).PipeTo(replyTo, Self,
                success: result =>
                {
                    _metrics?.Retired(result.Retired);
                    return new ShadowRetired(r.Owner, r.QueueId, result.Promoted);
                },
                failure: e =>
                {
                    _log.Error(e, "Could not retire recipients [{0}] of {1}'s shadow copy of {2}", string.Join(",", r.Recipients), r.Owner, r.QueueId);
                    return new ShadowRetired(r.Owner, r.QueueId, []) { Error = e.Message };
                });
        });
        Receive<Discarded>(d =>
        {
            _metrics?.Discarded(d.Count);
            _log.Debug("Discarded {0} shadow cop(ies) of {1}", d.Count, d.Owner);
        });
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members)
                _members[member.UniqueAddress] = member.Status;
            Review(cluster);
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            if (e is ClusterEvent.MemberRemoved)
                _members.Remove(e.Member.UniqueAddress);
            else
                _members[e.Member.UniqueAddress] = e.Member.Status;
            Review(cluster);
        });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<PromoteDue>(due =>
        {
            _lostSince.Remove(due.Owner);
            if (Judge(due.Owner) != Verdict.Lost || !_busy.Add(due.Owner))
            {
                Review(cluster);
                return;
            }

            _log.Warning("Node {0} is lost: promoting its {1} shadow cop(ies) into this node's queue", due.Owner, _store.Count(due.Owner));
            _store.PromoteAsync(due.Owner, _spool, _router).PipeTo(Self, success: n => new Promoted(due.Owner, n), failure: e => new Failed(due.Owner, "promotion", e));
        });
        Receive<Promoted>(p =>
        {
            _busy.Remove(p.Owner);
            _metrics?.Promoted(p.Count);
            _log.Warning("Promoted {0} shadow cop(ies) of lost node {1}; this node delivers them", p.Count, p.Owner);
            Review(cluster);
        });
        Receive<Dropped>(d =>
        {
            _busy.Remove(d.Owner);
            _metrics?.Discarded(d.Count);
            _log.Info("Node {0} came back with its own spool: dropped the {1} shadow cop(ies) of its previous incarnation", d.Owner, d.Count);
        });
        Receive<Failed>(f =>
        {
            _busy.Remove(f.Owner);
            _log.Error(f.Error, "Shadow {0} for {1} failed", f.What, f.Owner);
            if (f.What == "promotion")
                Timers.StartSingleTimer(("retry", f.Owner), new PromoteDue(f.Owner), TimeSpan.FromSeconds(5));
        });
    }

    private enum Verdict
    {
        Alive,
        Restarted,
        Lost,
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ShadowStore store, MessageSpool spool, IActorRef router, ShadowOptions options, ShadowMetrics? metrics) =>
        Akka.Actor.Props.Create(() => new ShadowKeeperActor(store, spool, router, options, metrics));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private void Review(Akka.Cluster.Cluster cluster)
    {
        _selfUp |= _members.TryGetValue(cluster.SelfUniqueAddress, out var self) && self == MemberStatus.Up;
        if (!_selfUp)
            return;
        foreach (var owner in _store.Owners)
        {
            if (_busy.Contains(owner))
                continue;
            switch (Judge(owner))
            {
                case Verdict.Alive:
                    if (_lostSince.Remove(owner))
                        Timers.Cancel(("promote", owner));
                    break;
                case Verdict.Restarted:
                    _lostSince.Remove(owner);
                    Timers.Cancel(("promote", owner));
                    _busy.Add(owner);
                    _store.DropOwnerAsync(owner).PipeTo(Self, success: n => new Dropped(owner, n), failure: e => new Failed(owner, "drop", e));
                    break;
                case Verdict.Lost when _lostSince.Add(owner):
                    _log.Warning("Node {0}, whose {1} shadow cop(ies) this node holds, is not in the cluster: promoting them in {2}s unless it comes back",
                        owner, _store.Count(owner), _options.PromoteAfter.TotalSeconds);
                    Timers.StartSingleTimer(("promote", owner), new PromoteDue(owner), _options.PromoteAfter);
                    break;
            }
        }
    }

    private Verdict Judge(string owner)
    {
        if (!TryParseOwner(owner, out var address, out var uid))
            return Verdict.Alive; // not ours to judge; kept (and logged at start-up)
        var restarted = false;
        foreach (var (member, status) in _members)
        {
            if (!member.Address.Equals(address))
                continue;
            if (member.Uid == uid)
            {
                if (status is not (MemberStatus.Down or MemberStatus.Removed))
                    return Verdict.Alive;
            }
            else if (status is not (MemberStatus.Down or MemberStatus.Removed))
            {
                restarted = true;
            }
        }

        return restarted ? Verdict.Restarted : Verdict.Lost;
    }

    /// <summary>"akka.tcp://router@host:port#uid" → its address and incarnation uid.</summary>
    internal static bool TryParseOwner(string owner, out Address address, out int uid)
    {
        address = null!;
        uid = 0;
        var hash = owner.LastIndexOf('#');
        if (hash < 0 || !int.TryParse(owner.AsSpan(hash + 1), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out uid))
            return false;
        try
        {
            address = Address.Parse(owner[..hash]);
            return true;
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    private sealed record PromoteDue(string Owner);

    private sealed record Promoted(string Owner, int Count);

    private sealed record Dropped(string Owner, int Count);

    private sealed record Discarded(string Owner, int Count);

    private sealed record Failed(string Owner, string What, Exception Error);
}
