using Router.Actors.Cluster;
using Akka.Actor;
using Akka.Configuration;
using Router.Actors.Health;
using Router.Messages.Health;
using Router.Messages.Serialization;
using Router.Testing;

namespace Router.Tests.Cluster;

/// <summary>
/// Two bare actor systems on loopback with <c>serialize-messages = on</c>: every message the health
/// view sends or receives, locally too, goes through serialization and back, so a message that
/// does not survive its serializer fails this test. (A type with no binding at all is caught by
/// strict serialization, on in every clustered node and in <see cref="ClusterHealthViewTests"/>;
/// together with serialize-messages it would also reject Akka's own local cluster events.)
/// </summary>
public sealed class HealthViewSerializationTests : IAsyncLifetime
{
    private static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        akka.cluster.distributed-data.gossip-interval = 500ms
        {{RouterMessageSerializer.Hocon}}
        """);

    private ActorSystem _first = null!;
    private ActorSystem _second = null!;

    public async Task InitializeAsync()
    {
        _first = ActorSystem.Create("router", Config);
        _second = ActorSystem.Create("router", Config);
        var first = Akka.Cluster.Cluster.Get(_first);
        first.Join(first.SelfAddress);
        Akka.Cluster.Cluster.Get(_second).Join(first.SelfAddress);
        await Eventually.TrueAsync(
            () => new[] { _first, _second }.All(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2),
            ClusterNodes.FormationTimeout,
            "the two systems did not form a cluster");
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_second.Terminate(), _first.Terminate());
    }

    [Fact]
    public async Task A_state_change_reaches_the_other_node_with_every_message_serialized()
    {
        var firewall = _first.ActorOf(Props.Create(() => new StubFirewall()), "firewall-fw");
        _first.ActorOf(HealthViewActor.Props(new Dictionary<string, IActorRef> { ["fw"] = firewall }, "first", clustered: true), "health-view");
        var secondView = _second.ActorOf(HealthViewActor.Props(new Dictionary<string, IActorRef>(), "second", clustered: true), "health-view");

        firewall.Tell(new FirewallCommand("fw", FirewallAction.Trip));
        _first.EventStream.Publish(new FirewallStateChanged("fw", "first", ["out"], "healthy", "tripped", "test", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(10)));

        await Eventually.TrueAsync(
            () => secondView.Ask<ClusterHealthView>(GetClusterHealthView.Instance, TimeSpan.FromSeconds(5)).Result.Firewalls
                .Any(e => e.FirewallId == "fw" && e.Node == "first" && e.State == "tripped"),
            TimeSpan.FromSeconds(10),
            "the second node never saw the first node's firewall tripped");
    }

    /// <summary>Answers snapshots like a firewall actor; trips on command.</summary>
    private sealed class StubFirewall : ReceiveActor
    {
        private string _state = "healthy";

        public StubFirewall()
        {
            Receive<FirewallCommand>(c => _state = c.Action == FirewallAction.Trip ? "tripped" : "healthy");
            Receive<GetFirewallSnapshot>(_ => Sender.Tell(new FirewallSnapshot("fw", "first", _state, DateTimeOffset.UtcNow, 0, 1, 0, 0, 0, 0, "test")));
        }
    }
}
