using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>
/// <c>router.shadow-deliver-first</c> on real nodes on loopback: mail that its firewall takes within the wait is
/// answered after its delivery and never copied; mail still queued when the wait is over gets its copy on a peer before
/// the <c>250</c>, as without the option, less the recipients that left during the wait; with <c>required</c> every
/// message is copied first.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ShadowDeliverFirstTests : IAsyncLifetime
{
    // Mail stays with the node that took it; the copies must be made even on a loaded machine.
    private const string NoSpillOver = "spill-over.enabled = off";
    private const string PatientShadow = "shadow-timeout = 30s";

    private readonly ClusterNodes _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Mail_its_firewall_takes_within_the_wait_is_answered_after_its_delivery_and_never_copied()
    {
        // A wait no loaded machine outlasts: every message is delivered within it.
        var (owner, holder) = await StartPairAsync("shadow-deliver-first = 30s");

        for (var i = 1; i <= 5; i++)
        {
            var reply = Assert.Single(await TestMail.SendAsync(owner.Smtp, [TestMail.Build($"first-{i}")]));

            Assert.StartsWith("2.0.0 Ok: queued as", reply);
            // The 250 came after the firewall had the message.
            Assert.Equal(i, _cluster.FirewallOf(owner).Count);
        }

        Assert.Equal(0, holder.Node.Shadows!.Count());
        var metrics = PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync());
        Assert.Equal(5, metrics.Value("router_shadow_copies_total", ("result", "not_needed")));
        Assert.Equal(0, metrics.Value("router_shadow_copies_total", ("result", "stored")));
    }

    [Fact]
    public async Task Mail_still_queued_when_the_wait_is_over_is_on_a_peer_before_its_250()
    {
        var (owner, holder) = await StartPairAsync("shadow-deliver-first = 100ms");
        _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Reject451OnMail;

        var replies = await TestMail.SendAsync(owner.Smtp, Enumerable.Range(0, 5).Select(i => TestMail.Build($"held-{i}")).ToList());

        Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as", r));
        Assert.Equal(5, holder.Node.Shadows!.Count());
        var metrics = PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync());
        Assert.Equal(5, metrics.Value("router_shadow_copies_total", ("result", "stored")));
        Assert.Equal(0, metrics.Value("router_shadow_copies_total", ("result", "not_needed")));

        // Delivered later: the copies go, as always.
        _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Accept;
        await _cluster.FirewallOf(owner).WaitForCountAsync(5, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => holder.Node.Shadows!.Count() == 0, TimeSpan.FromSeconds(15),
            () => $"the holder still keeps {holder.Node.Shadows!.Count()} copies of delivered mail");
    }

    [Fact]
    public async Task A_recipient_delivered_during_the_wait_is_retired_from_the_late_copy_of_the_others()
    {
        // One recipient's firewall takes the mail, the other's defers it: the message stays, and is copied after the wait.
        await using var partner = await FakeFirewall.StartAsync("fw-partner");
        partner.Behavior = FirewallBehavior.Reject451OnMail;
        var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: $$"""
            {{PatientShadow}}, shadow-deliver-first = 2s
            firewalls { partner { host = "127.0.0.1", port = {{partner.Port}} } }
            connectors { to-partner { address-spaces = ["partner.test;1"], firewalls = [partner] } }
            """);
        var holder = await _cluster.AddNodeAsync(NoSpillOver, extra: PatientShadow);
        await _cluster.AllUpAsync();

        var (session, _) = await RawSmtpSession.OpenAsync(owner.Smtp);
        using (session)
        {
            Assert.StartsWith("250", await session.TransactionAsync("MAIL FROM:<sender@example.org>", ["RCPT TO:<user@example.net>", "RCPT TO:<user@partner.test>"],
                "Message-ID: <late-copy@test.example>\r\nSubject: late copy\r\n\r\nbody"));
        }

        // Before the 250: the first recipient was delivered, the copy made, and that recipient retired from it.
        Assert.Equal(1, _cluster.FirewallOf(owner).Count);
        Assert.Equal(1, holder.Node.Shadows!.Count());
        Assert.Equal(1, PrometheusText.Parse(await holder.Node.Metrics.ExportTextAsync()).Value("router_shadow_retired_recipients_total"));
        Assert.Equal(1, PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync()).Value("router_shadow_copies_total", ("result", "stored")));
    }

    [Fact]
    public async Task With_required_every_message_is_copied_before_it_is_routed()
    {
        // A firewall that takes the mail at once: with preferred none of it would be copied.
        var (owner, holder) = await StartPairAsync("shadow = required, shadow-deliver-first = 30s");

        var replies = await TestMail.SendAsync(owner.Smtp, Enumerable.Range(0, 3).Select(i => TestMail.Build($"required-{i}")).ToList());

        Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as", r));
        await _cluster.FirewallOf(owner).WaitForCountAsync(3, TimeSpan.FromSeconds(60));
        var metrics = PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync());
        Assert.Equal(3, metrics.Value("router_shadow_copies_total", ("result", "stored")));
        Assert.Equal(0, metrics.Value("router_shadow_copies_total", ("result", "not_needed")));
        Assert.Equal(0, _cluster.FirewallOf(holder).Count);
    }

    private async Task<(TestRouter Owner, TestRouter Holder)> StartPairAsync(string shadow)
    {
        var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: $"{PatientShadow}, {shadow}");
        var holder = await _cluster.AddNodeAsync(NoSpillOver, extra: $"{PatientShadow}, {shadow}");
        await _cluster.AllUpAsync();
        return (owner, holder);
    }
}
