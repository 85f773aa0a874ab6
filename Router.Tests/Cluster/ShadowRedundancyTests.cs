using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;
using Xunit.Abstractions;

namespace Router.Tests.Cluster;

/// <summary>
/// Shadow redundancy on real nodes on loopback: before its 250 the accepting node has a copy fsync'd on a peer; the
/// copy goes when the owner delivers, and becomes the peer's to deliver when the owner is lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ShadowRedundancyTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Fast failure handling for tests: a vanished node is unreachable within a few seconds and downed 2s later.
    private const string FastDowning = """
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        """;

    // The copies must be made even on a machine loaded by other test runs; how long they take is not what these tests check.
    private const string PatientShadow = "shadow-timeout = 30s";

    // Stalled firewalls would have the nodes hand mail to each other (spill-over): these tests keep it where it was accepted.
    private const string NoSpillOver = "spill-over.enabled = off";

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(60);

    private readonly ClusterNodes _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_copy_is_held_by_a_peer_from_the_250_until_the_owner_delivers_then_it_is_discarded()
    {
        var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: PatientShadow);
        var holder = await _cluster.AddNodeAsync(NoSpillOver, extra: PatientShadow);
        await _cluster.AllUpAsync();
        _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Reject451OnMail;

        var messages = Enumerable.Range(0, 20).Select(i => TestMail.Build($"held-{i}")).ToList();
        var replies = await TestMail.SendAsync(owner.Smtp, messages);

        Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as", r));
        // Acknowledged means fsync'd on the peer too: the copies are there the moment the 250s are.
        Assert.Equal(20, holder.Node.Shadows!.Count());
        Assert.Equal(0, owner.Node.Shadows!.Count());

        _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Accept;
        await _cluster.FirewallOf(owner).WaitForCountAsync(20, DeliveryTimeout);
        await Eventually.TrueAsync(() => holder.Node.Shadows!.Count() == 0, TimeSpan.FromSeconds(15),
            () => $"the holder still keeps {holder.Node.Shadows!.Count()} copies of delivered mail");
        Assert.Equal(0, _cluster.FirewallOf(holder).Count);
        await Eventually.TrueAsync(async () => PrometheusText.Parse(await holder.Node.Metrics.ExportTextAsync()).Value("router_shadow_discarded_total") == 20,
            TimeSpan.FromSeconds(10), "router_shadow_discarded_total is not 20");
        Assert.Equal(20, PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync()).Value("router_shadow_copies_total", ("result", "stored")));
    }

    [Fact]
    public async Task With_required_and_no_peer_the_client_gets_451_and_the_node_keeps_nothing()
    {
        // A cluster of one: there is no peer to hold a copy.
        var alone = await _cluster.AddNodeAsync(NoSpillOver, extra: "shadow = required, shadow-timeout = 2s");
        await _cluster.AllUpAsync();

        var (session, _) = await RawSmtpSession.OpenAsync(alone.Smtp);
        using (session)
        {
            Assert.StartsWith("250", await session.ReplyAsync("EHLO client.example.org"));
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<sender@example.org>"));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<user@example.net>"));
            Assert.StartsWith("354", await session.ReplyAsync("DATA"));
            var reply = await session.ReplyAsync("Subject: x\r\n\r\nbody\r\n.");

            Assert.StartsWith("451 4.4.0", reply);
        }

        await alone.Node.Spool.FlushAsync();
        Assert.Equal(0, alone.Node.Spool.Statistics.MessagesQueued);
        Assert.Equal(0, PrometheusText.Parse(await alone.Node.Metrics.ExportTextAsync()).Value("router_messages_accepted_total"));
        Assert.Equal(0, _cluster.FirewallOf(alone).Count);
    }

    [Fact]
    public async Task With_preferred_and_no_peer_the_message_is_accepted_and_the_failure_counted()
    {
        var alone = await _cluster.AddNodeAsync(NoSpillOver, extra: "shadow = preferred, shadow-timeout = 2s");
        await _cluster.AllUpAsync();

        var replies = await TestMail.SendAsync(alone.Smtp, [TestMail.Build("no-peer")]);

        Assert.StartsWith("2.0.0 Ok: queued as", Assert.Single(replies));
        await _cluster.FirewallOf(alone).WaitForCountAsync(1, DeliveryTimeout);
        Assert.Equal(1, PrometheusText.Parse(await alone.Node.Metrics.ExportTextAsync()).Value("router_shadow_copies_total", ("result", "failed")));
    }

    [Fact]
    public async Task Mail_accepted_by_a_node_that_vanishes_with_its_firewalls_stalled_is_delivered_by_the_others()
    {
        const int count = 500;
        var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: $"{PatientShadow}, shadow-promote-after = 1s, smtp.shutdown-grace = 1s", akka: FastDowning + "\n" + ClusterNodes.NoLeaveOnTerminate);
        var second = await _cluster.AddNodeAsync(NoSpillOver, extra: "shadow-promote-after = 1s", akka: FastDowning);
        var third = await _cluster.AddNodeAsync(NoSpillOver, extra: "shadow-promote-after = 1s", akka: FastDowning);
        await _cluster.AllUpAsync();
        foreach (var firewall in _cluster.Firewalls)
            firewall.Behavior = FirewallBehavior.Reject451OnMail;

        var messages = Enumerable.Range(0, count).Select(i => TestMail.Build($"vanish-{i:D3}")).ToList();
        var accepted = await Task.WhenAll(messages.Chunk(count / 10).Select(batch => TestMail.SendAsync(owner.Smtp, batch)));
        Assert.All(accepted.SelectMany(r => r), r => Assert.StartsWith("2.0.0 Ok: queued as", r));
        var (onSecond, onThird) = (second.Node.Shadows!.Count(), third.Node.Shadows!.Count());
        output.WriteLine($"shadow copies before the loss: {onSecond} on node2, {onThird} on node3");
        Assert.Equal(count, onSecond + onThird);
        // Spread evenly: round robin over the two peers.
        Assert.InRange(onSecond, count / 2 - 10, count / 2 + 10);

        await _cluster.CrashAsync(owner);
        foreach (var firewall in _cluster.Firewalls)
            firewall.Behavior = FirewallBehavior.Accept;

        var survivors = new[] { _cluster.FirewallOf(second), _cluster.FirewallOf(third) };
        await Eventually.TrueAsync(() => DistinctIds(survivors).Count == count, TimeSpan.FromSeconds(90),
            () => $"{DistinctIds(survivors).Count} of {count} delivered by the survivors (node2 {survivors[0].Count}, node3 {survivors[1].Count} messages)");

        var all = survivors.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).ToList();
        var duplicates = all.GroupBy(id => id).Where(g => g.Count() > 1).ToList();
        output.WriteLine($"delivered by the survivors: {all.Count} messages, {DistinctIds(survivors).Count} distinct; duplicates: {duplicates.Count}"
            + (duplicates.Count == 0 ? string.Empty : " (" + string.Join(", ", duplicates.Take(10).Select(g => $"{g.Key} x{g.Count()}")) + ")"));
        output.WriteLine($"delivered by the lost node before it went: {_cluster.FirewallOf(owner).Count}");
        Assert.Equal(messages.Select(TestMail.IdOf).Order(), DistinctIds(survivors).Order());
        Assert.Equal(0, second.Node.Shadows!.Count() + third.Node.Shadows!.Count());
    }

    [Fact]
    public async Task A_partial_handover_retires_just_its_recipients_from_the_copy_so_a_promotion_delivers_only_the_others()
    {
        // Each message has a recipient the owner hands over (its own path to its firewall is dead, the peers' works) and one
        // it keeps (a partner connector only the owner has, whose firewall defers): the owner's queue keeps the message,
        // so no discard ever reaches the holder; only the handover's retirement keeps the holder from delivering the first twice.
        const int count = 20;
        await using var partner = await FakeFirewall.StartAsync("fw-partner");
        partner.Behavior = FirewallBehavior.Reject451OnMail;
        var owner = await _cluster.AddNodeAsync(
            extra: $$"""
                {{PatientShadow}}, shadow-promote-after = 1s, smtp.shutdown-grace = 1s
                firewalls { partner { host = "127.0.0.1", port = {{partner.Port}} } }
                connectors { to-partner { address-spaces = ["partner.test;1"], firewalls = [partner] } }
                """,
            akka: FastDowning + "\n" + ClusterNodes.NoLeaveOnTerminate);
        var second = await _cluster.AddNodeAsync(extra: "shadow-promote-after = 1s", akka: FastDowning);
        var third = await _cluster.AddNodeAsync(extra: "shadow-promote-after = 1s", akka: FastDowning);
        await _cluster.AllUpAsync();
        var peers = new[] { second, third };
        var peerFirewalls = peers.Select(_cluster.FirewallOf).ToArray();
        // The peers have delivered through their firewalls: evidence for spill-over, not a guess about an untried one.
        foreach (var (peer, i) in peers.Select((p, i) => (p, i)))
            Assert.All(await TestMail.SendAsync(peer.Smtp, [TestMail.Build($"warm-{i}")]), r => Assert.StartsWith("2.0.0 Ok", r));
        await Eventually.TrueAsync(() => peerFirewalls.Sum(f => f.Count) == 2, DeliveryTimeout, "the peers did not deliver their warm-up mail");
        await _cluster.FirewallOf(owner).StopAsync();

        var (session, _) = await RawSmtpSession.OpenAsync(owner.Smtp);
        using (session)
        {
            for (var i = 0; i < count; i++)
                Assert.StartsWith("250", await session.TransactionAsync("MAIL FROM:<sender@example.org>", ["RCPT TO:<user@example.net>", "RCPT TO:<user@partner.test>"],
                    $"Message-ID: <partial-{i:D2}@test.example>\r\nSubject: partial {i}\r\n\r\nbody {i}"));
        }

        var ownerId = Router.Actors.Cluster.Peers.PeerOutbox.OwnerOf(owner.Node.System);
        int CopiesOfOwner() => peers.Sum(p => p.Node.Shadows!.Count(ownerId));
        Assert.Equal(count, CopiesOfOwner());
        List<(string Id, string Recipient)> Delivered() => peerFirewalls.SelectMany(f => f.Messages)
            .SelectMany(m => m.Recipients.Select(r => (Id: TestMail.IdOf(m.Data), Recipient: r)))
            .Where(d => d.Id.StartsWith("partial-", StringComparison.Ordinal)).ToList();
        // The first recipients were handed to the peers, which delivered them; the partner recipients wait on the owner.
        await Eventually.TrueAsync(() => Delivered().Count(d => d.Recipient == "user@example.net") == count, DeliveryTimeout,
            () => $"{Delivered().Count} of {count} handed over and delivered");
        // The copies are still held (the owner's messages are still queued there, for the partner recipients), without the first recipients.
        Assert.Equal(count, CopiesOfOwner());
        async Task<double> RetiredAsync() => (await Task.WhenAll(peers.Select(async p =>
            PrometheusText.Parse(await p.Node.Metrics.ExportTextAsync()).Value("router_shadow_retired_recipients_total") ?? 0))).Sum();
        await Eventually.TrueAsync(async () => await RetiredAsync() == count, TimeSpan.FromSeconds(10),
            $"router_shadow_retired_recipients_total on the peers is not {count}");

        await _cluster.CrashAsync(owner);

        // The holders promote their copies for the partner recipients only, and deliver them through their own firewalls.
        await Eventually.TrueAsync(() => Delivered().Count(d => d.Recipient == "user@partner.test") == count
                && CopiesOfOwner() == 0 && peers.All(p => p.Node.Spool.Statistics.MessagesQueued == 0),
            DeliveryTimeout, () => $"{Delivered().Count(d => d.Recipient == "user@partner.test")} of {count} partner recipients delivered");
        var delivered = Delivered();
        var twice = delivered.GroupBy(d => d).Where(g => g.Count() > 1).Select(g => $"{g.Key.Id} to {g.Key.Recipient}").ToList();
        output.WriteLine($"delivered {delivered.Count} (message, recipient) pairs, {delivered.Distinct().Count()} distinct; twice: {twice.Count}");
        Assert.Empty(twice);
        Assert.Equal(2 * count, delivered.Distinct().Count());
    }

    [Fact]
    public async Task A_node_that_restarts_on_its_address_delivers_its_own_mail_and_the_peers_drop_their_copies()
    {
        var spool = TestRouter.NewSpoolPath();
        try
        {
            var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: $"{PatientShadow}, smtp.shutdown-grace = 1s", akka: FastDowning + "\n" + ClusterNodes.NoLeaveOnTerminate, spoolPath: spool);
            var second = await _cluster.AddNodeAsync(NoSpillOver, akka: FastDowning);
            var third = await _cluster.AddNodeAsync(NoSpillOver, akka: FastDowning);
            await _cluster.AllUpAsync();
            var port = ClusterNodes.AddressOf(owner).Port!.Value;
            _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Reject451OnMail;

            var messages = Enumerable.Range(0, 20).Select(i => TestMail.Build($"restart-{i:D2}")).ToList();
            Assert.All(await TestMail.SendAsync(owner.Smtp, messages), r => Assert.StartsWith("2.0.0 Ok: queued as", r));
            Assert.Equal(20, second.Node.Shadows!.Count() + third.Node.Shadows!.Count());

            await _cluster.CrashAsync(owner, release: true);
            // Back on the same address with the same spool: a new incarnation, which the peers see join.
            var restarted = await _cluster.AddNodeAsync(NoSpillOver, spoolPath: spool, port: port, seed: second);
            await _cluster.AllUpAsync();

            await _cluster.FirewallOf(restarted).WaitForCountAsync(20, DeliveryTimeout);
            await Eventually.TrueAsync(() => second.Node.Shadows!.Count() + third.Node.Shadows!.Count() == 0, TimeSpan.FromSeconds(30),
                () => $"copies still held: {second.Node.Shadows!.Count()} on node2, {third.Node.Shadows!.Count()} on node3");
            foreach (var peer in new[] { second, third })
                Assert.Equal(0, PrometheusText.Parse(await peer.Node.Metrics.ExportTextAsync()).Value("router_shadow_promoted_total"));
            Assert.Equal(0, _cluster.FirewallOf(second).Count + _cluster.FirewallOf(third).Count);
        }
        finally
        {
            await _cluster.DisposeAsync();
            if (Directory.Exists(spool))
                Directory.Delete(spool, recursive: true);
        }
    }

    private static HashSet<string> DistinctIds(IEnumerable<FakeFirewall> firewalls) =>
        firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).ToHashSet();
}
