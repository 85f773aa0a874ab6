using Akka.Actor;
using Akka.Cluster;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>
/// Router nodes in this process that form one cluster on loopback, each with its own fake firewall
/// and an ephemeral remoting port. The first node starts the cluster (no seed nodes); the others
/// are configured with its bound address once it is up.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    public static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(40);

    private readonly List<(TestRouter Router, FakeFirewall Firewall)> _nodes = [];
    private readonly List<(TestRouter Router, FakeFirewall Firewall)> _crashed = [];
    private readonly List<FakeFirewall> _crashedFirewalls = [];

    public IReadOnlyList<TestRouter> Routers => _nodes.Select(n => n.Router).ToList();

    public TestRouter this[int index] => _nodes[index].Router;

    /// <summary>The fake firewall that the node's only firewall "fw" points at.</summary>
    public FakeFirewall FirewallOf(TestRouter router) => _nodes.Concat(_crashed).Single(n => n.Router == router).Firewall;

    /// <summary>Every fake firewall, of running and crashed nodes.</summary>
    public IReadOnlyList<FakeFirewall> Firewalls => _nodes.Concat(_crashed).Select(n => n.Firewall).Concat(_crashedFirewalls).ToList();

    public static Address AddressOf(TestRouter router) => Akka.Cluster.Cluster.Get(router.Node.System).SelfAddress;

    /// <summary>Starts a node named nodeN with one firewall "fw" (its own fake) and one connector; it joins the first node.</summary>
    /// <param name="cluster">More keys of the node's <c>router.cluster</c> block.</param>
    /// <param name="extra">More of the node's <c>router</c> section.</param>
    /// <param name="akka">Akka keys for the node (top level).</param>
    /// <param name="spoolPath">A spool to start on (kept after the node stops); default a new temporary one.</param>
    /// <param name="port">The remoting port; 0 takes any free one.</param>
    /// <param name="seed">The node to join through; default the first node.</param>
    public async Task<TestRouter> AddNodeAsync(string cluster = "", string extra = "", string akka = "", string? spoolPath = null, int port = 0, TestRouter? seed = null)
    {
        var name = $"node{_nodes.Count + 1}";
        var firewall = await FakeFirewall.StartAsync($"fw-{name}");
        seed ??= _nodes.Count == 0 ? null : _nodes[0].Router;
        var seeds = seed is null ? string.Empty : $"seed-nodes = [\"{AddressOf(seed)}\"]";
        var router = await TestRouter.StartAsync($$"""
            node-name = "{{name}}"
            cluster {
              enabled = on, hostname = "127.0.0.1", port = {{port}}, {{seeds}}
              {{cluster}}
            }
            firewalls { fw { host = "127.0.0.1", port = {{firewall.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
            {{extra}}
            """, spoolPath, akka);
        _nodes.Add((router, firewall));
        return router;
    }

    /// <summary>Stops a node (it leaves the cluster on the way down) and its firewall.</summary>
    public async Task RemoveNodeAsync(TestRouter router)
    {
        var index = _nodes.FindIndex(n => n.Router == router);
        var (_, firewall) = _nodes[index];
        _nodes.RemoveAt(index);
        await router.DisposeAsync();
        await firewall.DisposeAsync();
    }

    /// <summary>
    /// Ends a node's actor system at once, without leaving the cluster (the node must have been started with
    /// <see cref="NoLeaveOnTerminate"/>): to the others it is a node that vanished. Its host is disposed of with the
    /// rest, or at once with <paramref name="release"/> (which frees its spool for a restart).
    /// </summary>
    public async Task CrashAsync(TestRouter router, bool release = false)
    {
        var index = _nodes.FindIndex(n => n.Router == router);
        var node = _nodes[index];
        _nodes.RemoveAt(index);
        await router.Node.System.Terminate();
        if (release)
        {
            await router.DisposeAsync();
            _crashedFirewalls.Add(node.Firewall);
        }
        else
        {
            _crashed.Add(node);
        }
    }

    /// <summary>Akka keys that make terminating the actor system skip the cluster leave (see <see cref="CrashAsync"/>).</summary>
    public const string NoLeaveOnTerminate = """
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.cluster.run-coordinated-shutdown-when-down = off
        """;

    /// <summary>Waits until every node sees exactly the running nodes, all Up.</summary>
    public Task AllUpAsync() => Eventually.TrueAsync(
        () => _nodes.All(n => Sees(n.Router, _nodes.Select(o => AddressOf(o.Router)).ToHashSet())),
        FormationTimeout,
        () => string.Join("; ", _nodes.Select(n => $"{AddressOf(n.Router)} sees " +
            string.Join(", ", Akka.Cluster.Cluster.Get(n.Router.Node.System).State.Members.Select(m => $"{m.Address} {m.Status}")))));

    /// <summary>Starts a <see cref="ReachabilityRecorder"/> on every node; the queue fills with every member marked unreachable.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> RecordUnreachable()
    {
        var unreachable = new System.Collections.Concurrent.ConcurrentQueue<string>();
        foreach (var (router, _) in _nodes)
            router.Node.System.ActorOf(Props.Create(() => new ReachabilityRecorder(unreachable)));
        return unreachable;
    }

    public static async Task<ClusterHealthView> ViewAsync(TestRouter router) =>
        await router.Node.HealthView.Ask<ClusterHealthView>(GetClusterHealthView.Instance, TimeSpan.FromSeconds(5));

    public async ValueTask DisposeAsync()
    {
        foreach (var (router, firewall) in Enumerable.Reverse(_nodes).Concat(_crashed))
        {
            await router.DisposeAsync();
            await firewall.DisposeAsync();
        }

        foreach (var firewall in _crashedFirewalls)
            await firewall.DisposeAsync();
        _nodes.Clear();
        _crashed.Clear();
        _crashedFirewalls.Clear();
    }

    private static bool Sees(TestRouter router, HashSet<Address> expected)
    {
        var members = Akka.Cluster.Cluster.Get(router.Node.System).State.Members;
        return members.Count == expected.Count
            && members.All(m => m.Status == MemberStatus.Up && expected.Contains(m.Address));
    }
}
