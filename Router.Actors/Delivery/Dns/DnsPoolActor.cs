using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery.Dns;

/// <summary>The firewall pools' current resolutions, host name → what it resolved to, for the configuration actor to expand.</summary>
public sealed record PoolsResolved(IReadOnlyDictionary<string, PoolResolution> Table);

/// <summary>
/// One per node (<c>/user/dns-pools</c>): keeps every firewall pool's host name resolved. Each name is asked again when
/// its records' TTL runs out (within <c>router.dns.min-ttl</c> and <c>max-ttl</c>); when a name's addresses change, the
/// configuration actor gets the whole table (<see cref="PoolsResolved"/>) and adds or removes member firewalls the way a
/// reload does, so a member that stays keeps its connections and health. A failed lookup keeps the addresses known
/// and is tried again after min-ttl. Names come from the running configuration, so a reload's new pools are picked up
/// at the next tick.
/// </summary>
public sealed class DnsPoolActor : ReceiveActor, IWithTimers
{
    public const string Name = "dns-pools";

    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Lookup(string Host, PoolResolution? Resolution, string? Error);

    private sealed class Entry
    {
        public PoolResolution? Resolution;
        public DateTimeOffset Due;
        public bool InFlight;
        public string? Failing;
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunningConfig _running;
    private readonly PoolResolver _resolver;
    private readonly DnsOptions _options;
    private readonly IActorRef _config;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public DnsPoolActor(RunningConfig running, PoolResolver resolver, DnsOptions options, IActorRef config,
        IReadOnlyDictionary<string, PoolResolution> initial, TimeProvider clock)
    {
        _running = running;
        _resolver = resolver;
        _options = options;
        _config = config;
        _clock = clock;
        var now = clock.GetUtcNow();
        foreach (var (host, resolution) in initial)
            _entries[host] = new Entry { Resolution = resolution, Due = now + resolution.Ttl };
        Receive<Tick>(_ => OnTick());
        Receive<Lookup>(OnLookup);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RunningConfig running, PoolResolver resolver, DnsOptions options, IActorRef config,
        IReadOnlyDictionary<string, PoolResolution> initial, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new DnsPoolActor(running, resolver, options, config, initial, clock ?? TimeProvider.System));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", Tick.Instance, TickInterval);
        OnTick();
    }

    private void OnTick()
    {
        var names = FirewallPools.Names(_running.Options).ToHashSet(StringComparer.Ordinal);
        var now = _clock.GetUtcNow();
        foreach (var gone in _entries.Keys.Where(n => !names.Contains(n)).ToArray())
            _entries.Remove(gone);
        foreach (var name in names)
        {
            if (!_entries.TryGetValue(name, out var entry))
                _entries[name] = entry = new Entry { Due = now };
            if (entry.InFlight || entry.Due > now)
                continue;
            entry.InFlight = true;
            var host = name;
            // Bounded by the resolver's own timeout and retry; the actor never waits on it.
            _resolver.ResolveAsync(host, CancellationToken.None).ContinueWith(
                t => t.IsCompletedSuccessfully
                    ? new Lookup(host, t.Result, null)
                    : new Lookup(host, null, t.Exception?.GetBaseException().Message ?? "cancelled"),
                TaskScheduler.Default).PipeTo(Self);
        }
    }

    private void OnLookup(Lookup lookup)
    {
        if (!_entries.TryGetValue(lookup.Host, out var entry))
            return;
        entry.InFlight = false;
        var now = _clock.GetUtcNow();
        if (lookup.Resolution is not { } resolution)
        {
            entry.Due = now + _options.MinTtl;
            if (entry.Failing is null)
                _log.Warning("Firewall pool {Host}: {Error}; its members stay {Members} and it is asked again every {Retry}",
                    lookup.Host, lookup.Error, Members(entry.Resolution), _options.MinTtl);
            entry.Failing = lookup.Error;
            return;
        }
        if (entry.Failing is not null)
            _log.Info("Firewall pool {Host}: resolves again", lookup.Host);
        entry.Failing = null;
        entry.Due = now + resolution.Ttl;
        var changed = !FirewallPools.SameMembers(entry.Resolution, resolution);
        var before = entry.Resolution;
        entry.Resolution = resolution;
        if (!changed)
            return;
        _log.Info("Firewall pool {Host}: members now {Members} (were {Before}; TTL {Ttl}, from {Source})",
            lookup.Host, Members(resolution), Members(before), resolution.Ttl, resolution.Source);
        _config.Tell(new PoolsResolved(_entries
            .Where(e => e.Value.Resolution is not null)
            .ToImmutableDictionary(e => e.Key, e => e.Value.Resolution!, StringComparer.Ordinal)));
    }

    private static string Members(PoolResolution? resolution) =>
        resolution is null || resolution.Addresses.Count == 0 ? "none" : string.Join(", ", resolution.Addresses);
}
