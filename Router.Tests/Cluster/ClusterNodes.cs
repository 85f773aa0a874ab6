using Akka.Actor;
using Akka.Cluster;
using Router.Messages.Health;
using Router.Node.Demo;
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

    public IReadOnlyList<TestRouter> Routers => _nodes.Select(n => n.Router).ToList();

    public TestRouter this[int index] => _nodes[index].Router;

    /// <summary>The fake firewall that the node's only firewall "fw" points at.</summary>
    public FakeFirewall FirewallOf(TestRouter router) => _nodes.Single(n => n.Router == router).Firewall;

    public static Address AddressOf(TestRouter router) => Akka.Cluster.Cluster.Get(router.Node.System).SelfAddress;

    /// <summary>Starts a node named nodeN with one firewall "fw" (its own fake) and one connector; it joins the first node.</summary>
    /// <param name="cluster">More keys of the node's <c>router.cluster</c> block.</param>
    public async Task<TestRouter> AddNodeAsync(string cluster = "")
    {
        var name = $"node{_nodes.Count + 1}";
        var firewall = await FakeFirewall.StartAsync($"fw-{name}");
        var seeds = _nodes.Count == 0 ? string.Empty : $"seed-nodes = [\"{AddressOf(_nodes[0].Router)}\"]";
        var router = await TestRouter.StartAsync($$"""
            node-name = "{{name}}"
            cluster {
              enabled = on, hostname = "127.0.0.1", port = 0, {{seeds}}
              {{cluster}}
            }
            firewalls { fw { host = "127.0.0.1", port = {{firewall.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
            """);
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
        foreach (var (router, firewall) in Enumerable.Reverse(_nodes))
        {
            await router.DisposeAsync();
            await firewall.DisposeAsync();
        }

        _nodes.Clear();
    }

    private static bool Sees(TestRouter router, HashSet<Address> expected)
    {
        var members = Akka.Cluster.Cluster.Get(router.Node.System).State.Members;
        return members.Count == expected.Count
            && members.All(m => m.Status == MemberStatus.Up && expected.Contains(m.Address));
    }
}
