using Akka.Actor;
using System.Text;
using Router.Actors.Observability.Tracking;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Smtp;

namespace Router.Tests.Cluster;

/// <summary>
/// Spill-over between two real nodes on loopback. Both configure the same firewall "fw" and connector
/// "out", but each node's "fw" is its own fake firewall: stopping node 1's makes the firewall
/// unreachable from node 1 only, as when a node loses its own route to a smart host.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SpillOverTests : IAsyncLifetime
{
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        await _cluster.AddNodeAsync();
        await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
        // Node 1 must see node 2's firewall healthy before it can choose node 2.
        var node2 = ClusterNodes.AddressOf(_cluster[1]).ToString();
        await Eventually.TrueAsync(
            async () => (await ClusterNodes.ViewAsync(_cluster[0])).Firewalls.Any(e => e.Address == node2 && e.State == "healthy"),
            TimeSpan.FromSeconds(20), "node 1 does not see node 2's firewall healthy");
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Mail_accepted_on_node_1_whose_firewall_is_unreachable_from_node_1_is_delivered_through_node_2()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        await _cluster.FirewallOf(node1).StopAsync();
        var messages = Enumerable.Range(0, 3).Select(i => TestMail.Build($"spill-{i}")).ToArray();

        var replies = await TestMail.SendAsync(node1.Smtp, messages);

        Assert.All(replies, r => Assert.StartsWith("2.0.0", r));
        var firewall2 = _cluster.FirewallOf(node2);
        await firewall2.WaitForCountAsync(3, TimeSpan.FromSeconds(45));
        Assert.Equal(["spill-0", "spill-1", "spill-2"], firewall2.Messages.Select(m => TestMail.IdOf(m.Data)).Order().ToArray());
        Assert.All(firewall2.Messages, m => Assert.Equal(["user@example.net"], m.Recipients));
        Assert.Equal(0, _cluster.FirewallOf(node1).Count);
        // Node 1 keeps nothing: every recipient is journaled as handed over.
        await Eventually.TrueAsync(() => node1.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(10),
            () => $"node 1 still queues {node1.Node.Spool.Statistics.MessagesQueued} message(s)");
        await Eventually.TrueAsync(() => node2.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(10), "node 2 still queues mail");
        var history = await node1.Node.Tracking.FindAsync("spill-0@test.example");
        var handedOver = Assert.Single(history, e => e.Event == TrackingEventKind.HandedOver);
        Assert.Contains(ClusterNodes.AddressOf(node2).ToString(), handedOver.Reply);
    }

    [Fact]
    public async Task A_10_MB_message_accepted_over_SMTP_on_node_1_is_delivered_through_node_2_with_no_node_marked_unreachable()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        await _cluster.FirewallOf(node1).StopAsync();
        var unreachable = _cluster.RecordUnreachable();
        var big = TestMail.Build("ten-mb", extraBodyBytes: 10 * 1024 * 1024);

        var replies = await TestMail.SendAsync(node1.Smtp, [big]);

        Assert.StartsWith("2.0.0", Assert.Single(replies));
        var firewall2 = _cluster.FirewallOf(node2);
        await firewall2.WaitForCountAsync(1, TimeSpan.FromSeconds(60));
        var delivered = Assert.Single(firewall2.Messages);
        // What node 2 delivers is what node 1 stored: node 1's Received line, then the client's bytes unchanged.
        var text = Encoding.UTF8.GetString(delivered.Data);
        Assert.StartsWith("Received: from ", text);
        Assert.EndsWith(Encoding.UTF8.GetString(big), text);
        Assert.True(delivered.Data.Length > 10 * 1024 * 1024);
        Assert.Equal(0, _cluster.FirewallOf(node1).Count);
        await Eventually.TrueAsync(() => node1.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(10), "node 1 still queues the message");
        Assert.True(unreachable.IsEmpty, "marked unreachable during the transfer: " + string.Join(", ", unreachable));
    }

    [Fact]
    public async Task Route_test_on_node_1_names_node_2_when_node_1_has_no_usable_connector()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        await _cluster.FirewallOf(node1).StopAsync();
        await TestMail.SendAsync(node1.Smtp, [TestMail.Build("trip")]);
        await _cluster.FirewallOf(node2).WaitForCountAsync(1, TimeSpan.FromSeconds(45));

        var explanation = await Akka.Actor.Futures.Ask<Router.Messages.Routing.RouteExplanation>(node1.Node.Routing,
            new Router.Messages.Routing.ExplainRoute("someone@example.net"), TimeSpan.FromSeconds(5));

        Assert.StartsWith($"hand over to {ClusterNodes.AddressOf(node2)}", explanation.Verdict);
    }

    [Fact]
    public async Task A_firewall_dead_for_every_node_is_not_chased_to_a_peer_and_the_mail_waits_on_its_owner()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        var node2Address = ClusterNodes.AddressOf(node2).ToString();
        await _cluster.FirewallOf(node2).StopAsync();
        await _cluster.FirewallOf(node1).StopAsync();
        var messages = Enumerable.Range(0, 3).Select(i => TestMail.Build($"dead-{i}")).ToArray();

        var replies = await TestMail.SendAsync(node1.Smtp, messages);

        Assert.All(replies, r => Assert.StartsWith("2.0.0", r));
        // Node 1 trips fw; node 2 hears of it, probes its own path to the same (dead) firewall and does not vouch for it.
        await Eventually.TrueAsync(
            async () =>
            {
                var view = await ClusterNodes.ViewAsync(node1);
                return view.Firewalls.Any(e => e.Address != node2Address && e.State == "tripped")
                    && view.Firewalls.Any(e => e.Address == node2Address && e.State is "suspect" or "tripped" && e.Reason.Contains("probe failed"));
            },
            TimeSpan.FromSeconds(45), () => "view on node 1: " + string.Join("; ", ClusterNodes.ViewAsync(node1).Result.Firewalls.Select(e => $"{e.Node} {e.State} {e.Reason}")));
        Assert.Equal(3, node1.Node.Spool.Statistics.MessagesQueued);

        // The firewall comes back for node 1: the mail was waiting there and is delivered there, never handed over.
        await _cluster.FirewallOf(node1).RestartAsync();
        await _cluster.FirewallOf(node1).WaitForCountAsync(3, TimeSpan.FromSeconds(90));
        Assert.Equal(["dead-0", "dead-1", "dead-2"], _cluster.FirewallOf(node1).Messages.Select(m => TestMail.IdOf(m.Data)).Order().ToArray());
        Assert.Equal(0, node2.Node.Spool.Statistics.MessagesQueued);
        foreach (var i in Enumerable.Range(0, 3))
            Assert.DoesNotContain(await node1.Node.Tracking.FindAsync($"dead-{i}@test.example"), e => e.Event == TrackingEventKind.HandedOver);
    }

    [Fact]
    public async Task A_trip_on_node_1_makes_the_firewall_suspect_on_node_2_which_probes_before_vouching_for_it()
    {
        var (node1, node2) = (_cluster[0], _cluster[1]);
        var node2Address = ClusterNodes.AddressOf(node2).ToString();
        var changes = new System.Collections.Concurrent.ConcurrentQueue<FirewallStateChanged>();
        var recorder = node2.Node.System.ActorOf(Akka.Actor.Props.Create(() => new Recorder(changes)));
        node2.Node.System.EventStream.Subscribe(recorder, typeof(FirewallStateChanged));
        var connectionsBefore = _cluster.FirewallOf(node2).ConnectionsAccepted;

        var snapshot = await node1.Node.System.ActorSelection("/user/firewall-fw")
            .Ask<FirewallSnapshot>(new FirewallCommand("fw", FirewallAction.Trip), TimeSpan.FromSeconds(5));

        Assert.Equal("tripped", snapshot.State);
        await Eventually.TrueAsync(() => changes.Any(c => c.To == "healthy" && c.From == "suspect"), TimeSpan.FromSeconds(30),
            () => "node 2's transitions: " + string.Join("; ", changes.Select(c => $"{c.From}->{c.To} {c.Reason}")));
        var suspect = changes.First();
        Assert.Equal(("healthy", "suspect"), (suspect.From, suspect.To));
        Assert.Contains("tripped on node1", suspect.Reason);
        Assert.Equal("probe succeeded", changes.First(c => c.To == "healthy").Reason);
        Assert.True(_cluster.FirewallOf(node2).ConnectionsAccepted > connectionsBefore, "node 2 never probed its firewall");
        // Node 2's entry now carries evidence newer than the trip: node 1 may spill to it.
        await Eventually.TrueAsync(
            async () => (await ClusterNodes.ViewAsync(node1)).Firewalls.Any(e => e.Address == node2Address && e.State == "healthy" && e.LastSuccess > snapshot.LastTrip),
            TimeSpan.FromSeconds(20), "node 1 does not see node 2's fresh evidence");
    }

    private sealed class Recorder : Akka.Actor.ReceiveActor
    {
        public Recorder(System.Collections.Concurrent.ConcurrentQueue<FirewallStateChanged> changes) =>
            Receive<FirewallStateChanged>(changes.Enqueue);
    }
}
