using Akka.Actor;
using Akka.Event;
using Router.Actors.Cluster;
using Router.Actors.Delivery.Dns;
using Router.Actors.Health;
using Router.Actors.Ingress;
using Router.Actors.Observability;
using Router.Actors.Routing;
using Router.Messages.Configuration;
using Router.Messages.Routing;

namespace Router.Actors.Configuration;

/// <summary>Makes the actors of one firewall or connector (the host's wiring, shared by start-up and reloads).</summary>
/// <param name="NewFirewall">A firewall actor for these settings, used by these connectors, under this actor name.</param>
/// <param name="NewConnector">A connector actor over these firewall actors, under this actor name.</param>
public sealed record DeliveryTopology(
    Func<FirewallOptions, IReadOnlyList<string>, string, IActorRef> NewFirewall,
    Func<ConnectorOptions, IReadOnlyDictionary<string, IActorRef>, string, IActorRef> NewConnector)
{
    /// <summary>Each firewall and the connectors that use it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> FirewallConnectors(RouterOptions options) =>
        options.Firewalls.ToDictionary(f => f.Id,
            f => (IReadOnlyList<string>)options.Connectors.Where(c => c.FirewallIds.Contains(f.Id)).Select(c => c.Id).ToArray(), StringComparer.Ordinal);
}

/// <summary>
/// One per node (<c>/user/config</c>): reloads the node's configuration file on <see cref="ReloadConfig"/>
/// (SIGHUP, <c>router cmd config reload</c>, <c>POST /api/config/reload</c>, another node). The whole
/// file is read and validated first and compared with the running configuration (<see cref="ConfigDiff"/>);
/// a broken file, or one that changes a key only a restart can change, is refused and nothing is
/// applied. Otherwise firewalls and connectors are added, reconfigured or removed, the router places
/// queued mail again under the new address spaces and retry schedule, and the SMTP edge takes the
/// new settings for new sessions; the listener stays open. Reloads run one at a time.
/// </summary>
public sealed class ConfigReloadActor : ReceiveActor, IWithStash
{
    public const string Name = "config";

    /// <summary>How long the answer waits for the router and the edge to confirm; past it the reload is applied all the same and the answer says so in the log.</summary>
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(10);

    private sealed record Applied(IActorRef ReplyTo, ConfigReloadResult Result, LoadedConfig Loaded, Exception? Fault);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RouterTelemetry _telemetry = RouterTelemetry.Get(Context.System);
    private readonly RunningConfig _running;
    private readonly RouterOptions _started;
    private readonly DeliveryTopology _topology;
    private readonly IActorRef _router;
    private readonly IActorRef _ingress;
    private readonly IActorRef _healthView;
    private readonly string _address;
    private readonly Dictionary<string, IActorRef> _firewalls;
    private readonly Dictionary<string, IActorRef> _connectors;
    // Removed firewalls whose attempts in flight have not ended yet: added back, they are reconfigured, not made again.
    private readonly Dictionary<string, IActorRef> _removedFirewalls = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namesInUse = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _nameOf = [];
    private int _names;
    // The firewall pools' resolutions, and the options as run: the file's with each pool expanded into its members.
    private IReadOnlyDictionary<string, PoolResolution> _pools;
    private RouterOptions _effective;

    public ConfigReloadActor(RunningConfig running, DeliveryTopology topology, IReadOnlyDictionary<string, IActorRef> firewalls,
        IReadOnlyDictionary<string, IActorRef> connectors, IActorRef router, IActorRef ingress, IActorRef healthView, string address,
        IReadOnlyDictionary<string, PoolResolution>? pools = null)
    {
        _running = running;
        _started = running.Options;
        _pools = pools ?? FirewallPools.None;
        _effective = FirewallPools.Expand(running.Options, _pools);
        running.SetEffective(_effective);
        _topology = topology;
        _router = router;
        _ingress = ingress;
        _healthView = healthView;
        _address = address;
        _firewalls = new Dictionary<string, IActorRef>(firewalls, StringComparer.Ordinal);
        _connectors = new Dictionary<string, IActorRef>(connectors, StringComparer.Ordinal);
        foreach (var (id, actor) in _firewalls)
            Track(actor, $"firewall-{id}");
        foreach (var (id, actor) in _connectors)
            Track(actor, $"connector-{id}");
        Ready();
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(RunningConfig running, DeliveryTopology topology, IReadOnlyDictionary<string, IActorRef> firewalls,
        IReadOnlyDictionary<string, IActorRef> connectors, IActorRef router, IActorRef ingress, IActorRef healthView, string address,
        IReadOnlyDictionary<string, PoolResolution>? pools = null) =>
        Akka.Actor.Props.Create(() => new ConfigReloadActor(running, topology, firewalls, connectors, router, ingress, healthView, address, pools));

    protected override void PreStart() => PublishHashes();

    private void Ready()
    {
        Receive<ReloadConfig>(OnReload);
        Receive<PoolsResolved>(OnPoolsResolved);
        Receive<Terminated>(OnTerminated);
    }

    private void Applying()
    {
        Receive<Applied>(OnApplied);
        Receive<Terminated>(OnTerminated);
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnReload(ReloadConfig reload)
    {
        var running = _running.Current;
        var path = running.Path;
        if (path is null)
        {
            Refuse(reload, running, ["configuration: the node was started without a configuration file (embedded defaults); there is nothing to reload"]);
            return;
        }

        string text;
        RouterOptions next;
        try
        {
            text = ReadFile(path);
            next = RouterConfig.ToOptions(RouterConfig.Parse(text, path)) with { SourcePath = path };
        }
        catch (RouterConfigException e)
        {
            Refuse(reload, running, e.Errors.Select(error => error.ToString()).ToArray());
            return;
        }

        // Compared as run, pools expanded, so that a pool's members that stay are kept (with their connections and health).
        var nextEffective = FirewallPools.Expand(next, _pools);
        var diff = ConfigDiff.Between(_effective, nextEffective, _started);
        if (diff.RestartOnly.Count > 0)
        {
            Refuse(reload, running, diff.RestartOnly.Select(r => r.ToString()).ToArray());
            return;
        }

        var loaded = LoadedConfig.From(next, path, text, DateTimeOffset.UtcNow);
        var replyTo = Sender;
        var outcome = diff.Empty ? ConfigReloadOutcome.Unchanged : ConfigReloadOutcome.Applied;
        var result = new ConfigReloadResult(next.NodeName, _address, outcome, null, diff.Summary(), loaded.Hash, loaded.LoadedAt);
        // The reply waits until the router has re-placed queued mail and new SMTP sessions use the new edge.
        var table = next.BuildAddressSpaceTable();
        var routed = ApplyRouting(diff, next, nextEffective, table);
        var edge = _ingress.Ask<IngressActor.Done>(new IngressActor.Reconfigure(next.Smtp, table), ConfirmTimeout);
        _telemetry.Tracking.Reconfigure(next.Tracking);
        _running.Set(loaded);
        _effective = nextEffective;
        _running.SetEffective(nextEffective);
        PublishHashes();
        Task.WhenAll(routed, edge).ContinueWith(t => new Applied(replyTo, result, loaded, t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(Self);
        Become(Applying);
        _log.Info("Configuration reload ({RequestedBy}) of {Path}: applying: {Changes}", reload.RequestedBy, path, diff.Summary());
    }

    /// <summary>
    /// A pool's addresses changed: its members are added and removed like firewalls in a reload (a member that stays is
    /// kept), and the router places the mail of the changed connectors again. The file is not read.
    /// </summary>
    private void OnPoolsResolved(PoolsResolved resolved)
    {
        _pools = resolved.Table;
        var running = _running.Options;
        var nextEffective = FirewallPools.Expand(running, _pools);
        var diff = ConfigDiff.Between(_effective, nextEffective, _started);
        _effective = nextEffective;
        _running.SetEffective(nextEffective);
        if (diff.FirewallsAdded.Count + diff.FirewallsRemoved.Count + diff.ConnectorsChanged.Count == 0)
            return;
        ApplyRouting(diff, running, nextEffective, running.BuildAddressSpaceTable())
            .ContinueWith(t => _log.Warning("Firewall pools: the router did not confirm the new members in time ({Error})", t.Exception?.GetBaseException().Message),
                TaskContinuationOptions.OnlyOnFaulted);
        _log.Info("Firewall pools changed: {Changes}", diff.Summary());
    }

    private void OnApplied(Applied applied)
    {
        Become(Ready);
        Stash.UnstashAll();
        var result = applied.Result;
        if (applied.Fault is { } fault)
            _log.Warning("Configuration reload: a part did not confirm in time ({Error}); it applies the new configuration when it gets to it", fault.Message);
        _log.Info("Configuration reloaded from {Path} (sha256 {Hash}): {Changes}", applied.Loaded.Path, result.Hash, result.Changes);
        var kind = result.Outcome.ToString().ToLowerInvariant();
        _telemetry.Metrics.ConfigReloaded(kind);
        Context.System.EventStream.Publish(new RoutingEvent("config-reloaded", applied.Loaded.Path ?? "configuration", 0,
            $"{kind}: {result.Changes} (sha256 {result.Hash[..12]})", result.LoadedAt));
        applied.ReplyTo.Tell(result);
    }

    /// <summary>Nothing is applied: one log line naming the key(s), the event, the metric and the answer.</summary>
    private void Refuse(ReloadConfig reload, LoadedConfig running, IReadOnlyList<string> errors)
    {
        var error = string.Join('\n', errors);
        _log.Error("Configuration reload ({RequestedBy}) refused, nothing applied; the node runs on its configuration of {LoadedAt:u}: {Errors}",
            reload.RequestedBy, running.LoadedAt, string.Join("; ", errors));
        _telemetry.Metrics.ConfigReloaded("refused");
        Context.System.EventStream.Publish(new RoutingEvent("config-reloaded", running.Path ?? "configuration", 0,
            $"refused: {string.Join("; ", errors)}", DateTimeOffset.UtcNow));
        Sender.Tell(new ConfigReloadResult(running.Options.NodeName, _address, ConfigReloadOutcome.Refused, error, null, running.Hash, running.LoadedAt));
    }

    /// <summary>
    /// The firewall and connector actors brought in line with <paramref name="effective"/> (the options as run, pools
    /// expanded), and the router told the new routes; the task ends when it has placed queued mail again. A reload and
    /// a pool whose addresses changed both come here.
    /// </summary>
    private Task<RoutesReloaded> ApplyRouting(ConfigDiff diff, RouterOptions options, RouterOptions effective, AddressSpaceTable table)
    {
        var routing = ApplyTopology(diff, effective);
        return _router.Ask<RoutesReloaded>(new ReloadRoutes(table, routing, DeliveryTopology.FirewallConnectors(effective), options.Delivery.Retry),
            ConfirmTimeout);
    }

    /// <summary>Firewall and connector actors added, reconfigured or removed; returns the connectors in force.</summary>
    private IReadOnlyDictionary<string, IActorRef> ApplyTopology(ConfigDiff diff, RouterOptions next)
    {
        var users = DeliveryTopology.FirewallConnectors(next);
        foreach (var id in diff.FirewallsRemoved)
        {
            if (_firewalls.Remove(id, out var removed))
            {
                removed.Tell(FirewallActor.Remove.Instance);
                _removedFirewalls[id] = removed;
            }
        }
        foreach (var firewall in next.Firewalls)
        {
            if (_firewalls.TryGetValue(firewall.Id, out var actor))
            {
                if (diff.FirewallsChanged.Contains(firewall.Id))
                    actor.Tell(new FirewallActor.Reconfigure(firewall, users[firewall.Id]));
            }
            else if (_removedFirewalls.Remove(firewall.Id, out var back))
            {
                back.Tell(new FirewallActor.Reconfigure(firewall, users[firewall.Id]));
                _firewalls[firewall.Id] = back;
            }
            else
            {
                var name = FreeName($"firewall-{firewall.Id}");
                _firewalls[firewall.Id] = Track(_topology.NewFirewall(firewall, users[firewall.Id], name), name);
            }
        }

        foreach (var id in diff.ConnectorsRemoved)
        {
            if (_connectors.Remove(id, out var removed))
                removed.Tell(ConnectorActor.Remove.Instance);
        }
        foreach (var connector in next.Connectors)
        {
            var firewalls = connector.FirewallIds.ToDictionary(id => id, id => _firewalls[id], StringComparer.Ordinal);
            if (_connectors.TryGetValue(connector.Id, out var actor))
            {
                if (diff.ConnectorsChanged.Contains(connector.Id))
                    actor.Tell(new ConnectorActor.Reconfigure(firewalls));
            }
            else
            {
                var name = FreeName($"connector-{connector.Id}");
                _connectors[connector.Id] = Track(_topology.NewConnector(connector, firewalls, name), name);
            }
        }
        _healthView.Tell(new HealthViewActor.SetFirewalls(new Dictionary<string, IActorRef>(_firewalls, StringComparer.Ordinal)));
        return new Dictionary<string, IActorRef>(_connectors, StringComparer.Ordinal);
    }

    private void PublishHashes()
    {
        var current = _running.Current;
        _healthView.Tell(new HealthViewActor.SetConfigHashes(current.Hash, current.RoutingHash));
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_nameOf.Remove(terminated.ActorRef, out var name))
            _namesInUse.Remove(name);
        foreach (var (id, actor) in _removedFirewalls.Where(r => r.Value.Equals(terminated.ActorRef)).ToArray())
            _removedFirewalls.Remove(id);
    }

    private IActorRef Track(IActorRef actor, string name)
    {
        Context.Watch(actor);
        _namesInUse.Add(name);
        _nameOf[actor] = name;
        return actor;
    }

    /// <summary>The usual actor name, or a numbered one while a removed actor of that name is still finishing its work.</summary>
    private string FreeName(string name) => _namesInUse.Contains(name) ? $"{name}~{++_names}" : name;

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RouterConfigException(path, $"cannot read the configuration file: {e.Message}", e);
        }
    }
}
