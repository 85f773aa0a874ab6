using Router.Actors.Cluster;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Delivery.Dns;
using Router.Actors.Health;
using Router.Actors.Ingress;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Actors.Observability.Tracking;
using Router.Actors.Cluster.Peers;
using Router.Actors.Routing;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Routing;
using Router.Node.Admin;

namespace Router.Node.Hosting;

/// <summary>
/// Wires one router node: the spool (recovered before anything else starts), the actors of
/// design.md, and the SMTP listener, in a Generic Host with Akka.Hosting.
/// </summary>
public static class RouterHost
{
    /// <summary>The system name every node uses; nodes of one cluster must share it.</summary>
    public const string SystemName = "router";

    public static IHost Build(RouterOptions options, Action<ILoggingBuilder> configureLogging)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        configureLogging(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Smtp.ShutdownGrace + TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(options);
        // What the node runs now: the start-up options until a reload replaces them.
        builder.Services.AddSingleton(RunningConfig.Of(options));
        // Observability: one metrics registry and one tracking log per node, reached by the actors
        // through the RouterTelemetry extension and by the admin endpoint through DI.
        builder.Services.AddSingleton<RouterMetrics>();
        builder.Services.AddSingleton(sp => options.Tracking.Enabled
            ? new MessageTrackingLog(options.Tracking, options.NodeName, sp.GetRequiredService<RouterMetrics>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Router.Tracking"))
            : MessageTrackingLog.Disabled);
        builder.Services.AddSingleton(sp => new RouterTelemetry(sp.GetRequiredService<RouterMetrics>(), sp.GetRequiredService<MessageTrackingLog>(),
            new MessageTracing(options.NodeName)));
        // OpenTelemetry export (router.telemetry): nothing is registered while it is off.
        builder.Services.AddRouterTelemetry(options);
        builder.Services.AddSingleton(sp => MessageSpool.Open(
            new SpoolOptions(options.Spool.Path) { SegmentSize = options.Spool.SegmentSize },
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Router.Spool"),
            sp.GetRequiredService<RouterMetrics>()));

        // Shadow redundancy, holder's side: the copies peers keep here (<spool.path>/shadow), disposed of with the host.
        if (options.Cluster.Enabled)
            builder.Services.AddSingleton(sp => ShadowStore.Open(options.Spool.Path, options.Spool.SegmentSize,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Router.Shadow")));
        // ... and where peers send them straight over TCP (router.shadow-port), stopped before the store is disposed.
        if (options.Cluster.Enabled && options.Shadow.Port is { } shadowPort)
            builder.Services.AddSingleton(sp =>
            {
                try
                {
                    return ShadowSocketServer.Start(options.Cluster.Hostname, shadowPort, sp.GetRequiredService<ShadowStore>(),
                        sp.GetRequiredService<RouterTelemetry>().Tracing, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Router.Shadow"));
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    // A port in use is the operator's to fix, named like any configuration error (not a crash with a trace).
                    throw new RouterConfigException("router.shadow-port", $"cannot listen on {options.Cluster.Hostname}:{shadowPort}: {e.Message}");
                }
            });

        // Firewall pools: their host names are resolved before the actors start.
        builder.Services.AddSingleton(new PoolResolver(options.Dns));
        builder.Services.AddSingleton<InitialPools>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InitialPools>());

        builder.Services.AddAkka(SystemName, (akka, provider) =>
        {
            // The Generic Host owns the process lifetime (SIGTERM, Ctrl-C) and stops the listener
            // before the actors; Akka's own CLR exit hook would race it and deadlock the exit.
            // The scheduler's 10 ms default tick wakes the thread pool 100 times a second, and its
            // workers spin on every wake: an idle node burned 8% of a core. At 50 ms it uses under 2%;
            // nothing in the router needs finer timers (the firewall health tick is 200 ms).
            akka.AddHocon("""
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.coordinated-shutdown.exit-clr = off
                akka.scheduler.tick-duration = 50ms
                """, HoconAddMode.Prepend);
            akka.WithRouterSerialization();
            akka.WithRouterClustering(options.Cluster);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.WithActors((system, registry) =>
            {
                RouterTelemetry.Register(system, provider.GetRequiredService<RouterTelemetry>());
                var spool = provider.GetRequiredService<MessageSpool>();
                var loggerFactory = provider.GetRequiredService<ILoggerFactory>();
                var table = options.BuildAddressSpaceTable();
                // The firewalls and connectors as run: each pool's host name expanded into its members.
                var pools = provider.GetRequiredService<InitialPools>().Table;
                var effective = FirewallPools.Expand(options, pools);

                // The bounce sender routes the DSNs it spools through the router, which needs the outcome
                // actor first: the sender finds the router in the registry when it has a DSN to route.
                var bounceSender = new SpoolBounceSender(spool, m => registry.Get<RoutingActor>().Tell(m), options.Smtp.Hostname,
                    id => provider.GetRequiredService<RunningConfig>().Effective.Firewalls.FirstOrDefault(f => f.Id == id)?.Host, TimeProvider.System,
                    provider.GetRequiredService<MessageTrackingLog>(), provider.GetRequiredService<RouterTelemetry>().Tracing);
                var bounces = system.ActorOf(OutcomeActor.Props(spool, bounceSender), "bounces");
                var router = system.ActorOf(RoutingActor.Props(table, bounces, options.Delivery.Retry,
                    Path.Combine(options.Spool.Path, "operator-state.json"), spool), "routing");
                registry.Register<RoutingActor>(router);
                // The actors of each firewall and connector; a configuration reload makes, reconfigures or removes them later.
                var mailLog = loggerFactory.CreateLogger("Router.Delivery");
                Props FirewallProps(FirewallOptions f, IReadOnlyList<string> users) =>
                    FirewallActor.Props(f, users, options.NodeName, spool.OpenBody, options.Delivery.PoisonAfter);
                // MX connectors look up each recipient domain's MX hosts and make their firewalls themselves.
                var mxDirectory = new MxDirectory(options.Dns, provider.GetRequiredService<PoolResolver>());
                var topology = new DeliveryTopology(
                    (f, users, name) => system.ActorOf(FirewallProps(f, users), name),
                    (c, firewallActors, name) => system.ActorOf(ConnectorActor.Props(c.Id, firewallActors, router, bounces,
                        new AttemptPolicy(options.Delivery.PoisonAfter), mailLog: mailLog,
                        mx: c.Mx is { } mx ? new MxRouting(mx, mxDirectory, options.FirewallDefaults, FirewallProps) : null), name));
                var users = DeliveryTopology.FirewallConnectors(effective);
                var firewalls = effective.Firewalls.ToDictionary(f => f.Id, f => topology.NewFirewall(f, users[f.Id], $"firewall-{f.Id}"));
                var connectors = effective.Connectors.ToDictionary(
                    c => c.Id,
                    c => topology.NewConnector(c, c.FirewallIds.ToDictionary(id => id, id => firewalls[id]), $"connector-{c.Id}"));
                router.Tell(new AttachConnectors(connectors, users));

                var recovered = spool.Recovered;
                if (recovered.Count > 0)
                    loggerFactory.CreateLogger("Router.Spool").LogInformation(
                        "Recovered {Count} undelivered message(s) from the spool; routing them now", recovered.Count);
                foreach (var message in recovered)
                    router.Tell(new MessageSpooled(message.QueueId, message.Envelope, message.Length, message.PendingRecipients)
                    {
                        Deferrals = message.Deferrals,
                        NextAttempt = message.NextAttempt,
                    });

                // Shadow redundancy, owner's side: copies go out through the peer outbox before the 250, and their
                // discards follow the messages out of the spool.
                ShadowReplicator? shadow = null;
                IActorRef? shadowOutbox = null;
                var shadowMetrics = options.Cluster.Enabled ? new ShadowMetrics(provider.GetRequiredService<RouterMetrics>()) : null;
                if (options.Cluster.Enabled && options.Shadow.Mode != ShadowMode.Off)
                {
                    var outbox = shadowOutbox = system.ActorOf(PeerOutbox.Props(new PeerTransferSettings()), PeerOutbox.Name);
                    registry.Register<PeerOutbox>(outbox);
                    var discards = system.ActorOf(ShadowDiscardActor.Props(), ShadowDiscardActor.Name);
                    var links = system.ActorOf(ShadowLinkActor.Props(options.Shadow.Timeout, shadowMetrics), ShadowLinkActor.Name);
                    // Copies go straight over TCP to the peers that take them so (router.shadow-port), through the links otherwise.
                    var sockets = new ShadowSocketLinks(system, options.Shadow.Timeout, shadowMetrics, loggerFactory.CreateLogger("Router.Shadow"));
                    system.RegisterOnTermination(sockets.Dispose);
                    shadow = new ShadowReplicator(system, outbox, discards, options.Shadow, shadowMetrics,
                        loggerFactory.CreateLogger("Router.Shadow"), links, sockets);
                    spool.MessagesLeft += shadow.Forget;
                }

                var ingress = system.ActorOf(IngressActor.Props(options.Smtp, options.Spool, spool, router, table, loggerFactory, shadow), "ingress");
                registry.Register<IngressActor>(ingress);

                var healthView = system.ActorOf(HealthViewActor.Props(firewalls, options.NodeName, options.Cluster.Enabled), "health-view");
                registry.Register<HealthViewActor>(healthView);

                var address = options.Cluster.Enabled ? Akka.Cluster.Cluster.Get(system).SelfAddress.ToString() : options.NodeName;
                var config = system.ActorOf(ConfigReloadActor.Props(provider.GetRequiredService<RunningConfig>(), topology,
                    firewalls, connectors, router, ingress, healthView, address, pools), ConfigReloadActor.Name);
                registry.Register<ConfigReloadActor>(config);
                // Pools follow their names' TTLs (also when a reload adds one); nothing to do while every firewall is an address.
                system.ActorOf(DnsPoolActor.Props(provider.GetRequiredService<RunningConfig>(), provider.GetRequiredService<PoolResolver>(),
                    options.Dns, config, pools), DnsPoolActor.Name);

                // Clustered, peers send this node messages (handovers, shadow copies) in chunks through
                // its intake, and it sends its own through the outbox.
                if (options.Cluster.Enabled)
                {
                    var transfers = new PeerTransferSettings();
                    // The shadow block above made the outbox already when shadow copies are on.
                    var outbox = shadowOutbox ?? system.ActorOf(PeerOutbox.Props(transfers), PeerOutbox.Name);
                    if (shadowOutbox is null)
                        registry.Register<PeerOutbox>(outbox);
                    var leaveState = new LeaveState();
                    var shadows = provider.GetRequiredService<ShadowStore>();
                    var stores = new Dictionary<TransferKind, IPeerStore>
                    {
                        [TransferKind.Handover] = new HandoverStore(spool, router, loggerFactory.CreateLogger("Router.Peers"), leaveState,
                            provider.GetRequiredService<MessageTrackingLog>(),
                            new ShadowRetirement(system, shadows, options.Shadow.Timeout, loggerFactory.CreateLogger("Router.Shadow"), shadowMetrics)),
                        [TransferKind.Shadow] = shadows,
                    };
                    system.ActorOf(ShadowKeeperActor.Props(shadows, spool, router, options.Shadow, shadowMetrics), ShadowKeeperActor.Name);
                    var shadowServer = provider.GetService<ShadowSocketServer>();
                    system.ActorOf(ShadowIntakeActor.Props(shadows, shadowServer?.Endpoint), ShadowIntakeActor.Name);
                    registry.Register<PeerIntakeActor>(system.ActorOf(PeerIntakeActor.Props(stores, transfers), PeerIntakeActor.Name));

                    // Spill-over and graceful leave: the router hands mail to peers through the handover sender.
                    var handovers = system.ActorOf(HandoverSender.Props(spool, outbox, options.Cluster.SpillOver, shadow is null ? null : shadow.HolderForHandover), HandoverSender.Name);
                    router.Tell(new AttachSpillOver(healthView, handovers, options.Cluster.SpillOver,
                        Akka.Cluster.Cluster.Get(system).SelfAddress.ToString()));
                    registry.Register<LeaveActor>(system.ActorOf(
                        LeaveActor.Props(ingress, router, spool, leaveState, options.Cluster.DrainTimeout, options.Smtp.ShutdownGrace), LeaveActor.Name));
                }
            });
            akka.WithAkkaOverrides(options.Hocon);
        });
        // Registered after Akka so that it stops first: the listener closes and in-flight SMTP
        // transactions finish while the actors that route and deliver are still alive.
        builder.Services.AddHostedService<RouterLifecycle>();
        // Registered last: the admin endpoint starts once the actors exist and stops first.
        builder.Services.AddSingleton<AdminEndpoint>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdminEndpoint>());
        return builder.Build();
    }
}
