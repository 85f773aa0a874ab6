using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 3: firewall health, circuit breakers and instant rerouting, under load, with real sockets.</summary>
public sealed class FailoverTests
{
    private const int Clients = 8;

    /// <summary>Sends <paramref name="total"/> messages from 8 clients; <paramref name="onProgress"/> sees the running count.</summary>
    private static async Task<IReadOnlyList<byte[]>> SendLoadAsync(TestRouter router, int total, Func<int, Task>? onProgress = null, string prefix = "f")
    {
        var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"{prefix}{i:D5}")).ToArray();
        var accepted = 0;
        var gate = new SemaphoreSlim(1);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            using var client = new TestMail.ExactBytesClient();
            await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
            for (var i = c; i < total; i += Clients)
            {
                await client.SendAsync(TestMail.Format, TestMail.Load(messages[i]), MimeKit.MailboxAddress.Parse("sender@example.org"),
                    [MimeKit.MailboxAddress.Parse("user@example.net")]);
                var count = Interlocked.Increment(ref accepted);
                if (onProgress is not null)
                {
                    await gate.WaitAsync();
                    try
                    {
                        await onProgress(count);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
            }
            await client.DisconnectAsync(true);
        }));
        return messages;
    }

    /// <summary>Every message arrived; none more than twice (a duplicate only for an attempt in flight at a failure).</summary>
    private static async Task AssertAllArrivedAsync(IReadOnlyList<byte[]> sent, TimeSpan timeout, params FakeFirewall[] firewalls)
    {
        var expected = sent.Select(TestMail.IdOf).ToHashSet();
        int DistinctDelivered() => firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).Where(expected.Contains).Distinct().Count();
        await Eventually.TrueAsync(
            () => DistinctDelivered() >= expected.Count,
            timeout,
            () => $"distinct delivered {DistinctDelivered()} of {expected.Count}");
        var counts = firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).Where(expected.Contains)
            .GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(expected.SetEquals(counts.Keys), "delivered ids differ from sent ids");
        Assert.All(counts, c => Assert.True(c.Value <= 2, $"{c.Key} delivered {c.Value} times"));
    }

    private static async Task<IActorRef> FirewallActorAsync(TestRouter router, string id) =>
        await router.Node.System.ActorSelection($"/user/firewall-{id}").ResolveOne(TimeSpan.FromSeconds(5));

    [Fact]
    public async Task A_stopped_firewall_trips_within_seconds_and_its_mail_is_rerouted()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);

        const int total = 2000;
        DateTimeOffset? stoppedAt = null;
        var sent = await SendLoadAsync(router, total, async count =>
        {
            if (stoppedAt is null && count >= total / 3)
            {
                stoppedAt = DateTimeOffset.UtcNow;
                await fwA.StopAsync();
            }
        });

        var tripped = await events.WaitForAsync("fw-a", "tripped", stoppedAt!.Value, TimeSpan.FromSeconds(5));
        Assert.True(tripped.At - stoppedAt.Value < TimeSpan.FromSeconds(5), $"tripped {(tripped.At - stoppedAt.Value).TotalSeconds:0.0}s after the stop");
        await AssertAllArrivedAsync(sent, TimeSpan.FromSeconds(60), fwA, fwB);
        Assert.True(fwA.Count > 0 && fwB.Count > total / 2, $"fw-a {fwA.Count}, fw-b {fwB.Count}");
    }

    [Fact]
    public async Task A_blackholed_firewall_that_never_greets_trips_within_seconds_and_stays_out_while_it_stalls()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);

        const int total = 2000;
        DateTimeOffset? blackholedAt = null;
        var sent = await SendLoadAsync(router, total, count =>
        {
            if (blackholedAt is null && count >= total / 3)
            {
                blackholedAt = DateTimeOffset.UtcNow;
                // Reset the pooled connections too: a hung firewall stops answering on them as well.
                fwA.Behavior = FirewallBehavior.Refuse;
                fwA.Behavior = FirewallBehavior.StallBeforeGreeting;
            }
            return Task.CompletedTask;
        });

        // Greeting timeout is 1 s in tests; trip-after 3 failures arrive together from the pool.
        var tripped = await events.WaitForAsync("fw-a", "tripped", blackholedAt!.Value, TimeSpan.FromSeconds(5));
        Assert.True(tripped.At - blackholedAt.Value < TimeSpan.FromSeconds(5));
        await AssertAllArrivedAsync(sent, TimeSpan.FromSeconds(60), fwA, fwB);
        // Probes keep finding the blackhole: it is never healthy again while it stalls.
        Assert.DoesNotContain(events.All, e => e.FirewallId == "fw-a" && e.To == "healthy" && e.At > tripped.At);
    }

    [Fact]
    public async Task A_firewall_answering_451_to_every_mail_trips_and_its_mail_goes_elsewhere()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        fwA.Behavior = FirewallBehavior.Reject451OnMail;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);
        var start = DateTimeOffset.UtcNow;

        var sent = await SendLoadAsync(router, 300);

        var tripped = await events.WaitForAsync("fw-a", "tripped", start, TimeSpan.FromSeconds(10));
        Assert.Contains("4xx", tripped.Reason);
        await AssertAllArrivedAsync(sent, TimeSpan.FromSeconds(60), fwA, fwB);
        Assert.Equal(0, fwA.Count);
    }

    [Fact]
    public async Task With_the_cost_1_tier_down_mail_takes_the_cost_2_connector_and_returns_when_cost_1_recovers()
    {
        await using var a1 = await FakeFirewall.StartAsync("fw-a1");
        await using var b1 = await FakeFirewall.StartAsync("fw-b1");
        await using var c2 = await FakeFirewall.StartAsync("fw-c2");
        await a1.StopAsync();
        await b1.StopAsync();
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-a1 { host = "127.0.0.1", port = {{a1.Port}} }
              fw-b1 { host = "127.0.0.1", port = {{b1.Port}} }
              fw-c2 { host = "127.0.0.1", port = {{c2.Port}} }
            }
            connectors {
              cheap-a { address-spaces = ["*;1"], firewalls = [fw-a1] }
              cheap-b { address-spaces = ["*;1"], firewalls = [fw-b1] }
              backup { address-spaces = ["*;2"], firewalls = [fw-c2] }
            }
            """);
        var events = HealthEvents.Attach(router.Node.System);

        var first = await SendLoadAsync(router, 200, prefix: "down");
        await AssertAllArrivedAsync(first, TimeSpan.FromSeconds(30), a1, b1, c2);
        Assert.Equal(200, c2.Messages.Select(m => TestMail.IdOf(m.Data)).Distinct().Count());

        var recoveredSince = DateTimeOffset.UtcNow;
        await a1.RestartAsync();
        await events.WaitForAsync("fw-a1", "healthy", recoveredSince, TimeSpan.FromSeconds(15));
        // The health event is published as the firewall changes state; the router hears of it a
        // moment later through the connector. Mail sent from then on must all take the cost-1 path.
        var probe = 0;
        await Eventually.TrueAsync(() =>
        {
            TestMail.SendAsync(router.Smtp, [TestMail.Build($"probe{probe++}")]).Wait();
            return a1.Count > 0;
        }, TimeSpan.FromSeconds(15), "mail never went back to the recovered cost-1 firewall");
        var second = await SendLoadAsync(router, 100, prefix: "up");
        await AssertAllArrivedAsync(second, TimeSpan.FromSeconds(30), a1, b1, c2);
        Assert.Equal(100, a1.Messages.Count(m => TestMail.IdOf(m.Data).StartsWith("up", StringComparison.Ordinal)));
        Assert.DoesNotContain(c2.Messages, m => TestMail.IdOf(m.Data).StartsWith("up", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flapping_firewall_loses_nothing_and_its_open_time_grows()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);

        using var flapping = new CancellationTokenSource();
        var flapper = Task.Run(async () =>
        {
            var up = true;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < until && !flapping.IsCancellationRequested)
            {
                await Task.Delay(1000);
                if (up)
                    await fwA.StopAsync();
                else
                    await fwA.RestartAsync();
                up = !up;
            }
            await fwA.RestartAsync();
        });
        var sent = new List<byte[]>();
        var rounds = 0;
        while (!flapper.IsCompleted)
        {
            sent.AddRange(await SendLoadAsync(router, 200, prefix: $"flap{rounds++}-"));
        }
        await flapper;
        await AssertAllArrivedAsync(sent, TimeSpan.FromSeconds(60), fwA, fwB);

        var trips = events.All.Where(e => e.FirewallId == "fw-a" && e.To == "tripped").ToList();
        Assert.True(trips.Count >= 2, $"only {trips.Count} trip(s) while flapping");
        var openTimes = trips.Select(t => t.OpenFor!.Value.TotalSeconds).ToList();
        Assert.True(openTimes.Max() > openTimes.First(), $"open times did not grow: {string.Join(", ", openTimes)}");
    }

    [Fact]
    public async Task A_drained_firewall_gets_no_new_work_finishes_in_flight_and_then_idles()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));

        var before = await SendLoadAsync(router, 200, prefix: "pre");
        await AssertAllArrivedAsync(before, TimeSpan.FromSeconds(30), fwA, fwB);

        var firewall = await FirewallActorAsync(router, "fw-a");
        var snapshot = await firewall.Ask<FirewallSnapshot>(new FirewallCommand("fw-a", FirewallAction.Drain), TimeSpan.FromSeconds(5));
        Assert.Equal("drained", snapshot.State);
        await Eventually.TrueAsync(() => firewall.Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance).Result.Busy == 0,
            TimeSpan.FromSeconds(10), "fw-a still busy after drain");
        var mailBefore = fwA.MailCommands;
        var countBefore = fwA.Count;

        var after = await SendLoadAsync(router, 300, prefix: "post");
        await AssertAllArrivedAsync(after, TimeSpan.FromSeconds(30), fwA, fwB);
        Assert.Equal(mailBefore, fwA.MailCommands);
        Assert.Equal(countBefore, fwA.Count);
    }
}

/// <summary>Issue 3: one poisonous message must not trip every firewall in turn.</summary>
public sealed class PoisonMessageTests
{
    [Fact]
    public async Task A_message_that_kills_every_connection_is_set_aside_and_the_firewalls_stay_healthy()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        fwA.Behavior = FirewallBehavior.DropOnMarker("POISON-PILL");
        fwB.Behavior = FirewallBehavior.DropOnMarker("POISON-PILL");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);

        var poison = System.Text.Encoding.ASCII.GetBytes("Subject: x\r\nMessage-ID: <poison@test.example>\r\n\r\nPOISON-PILL\r\n");
        var reply = (await TestMail.SendAsync(router.Smtp, [poison])).Single();
        var poisonId = reply.Split(' ').Last();

        // Three attempts in a row die with it (poison-after = 3), then it waits for its retry alone.
        await Eventually.TrueAsync(() => fwA.Poisoned + fwB.Poisoned >= 3, TimeSpan.FromSeconds(10), "the poison was not attempted three times");
        var normal = Enumerable.Range(0, 100).Select(i => TestMail.Build($"after-poison{i:D3}")).ToArray();
        await TestMail.SendAsync(router.Smtp, normal);
        await Eventually.TrueAsync(() => fwA.Count + fwB.Count >= normal.Length, TimeSpan.FromSeconds(30), () => $"delivered {fwA.Count + fwB.Count}");

        Assert.DoesNotContain(events.All, e => e.To == "tripped");
        Assert.True(fwA.Poisoned > 0 && fwB.Poisoned > 0, "the poison should have met both firewalls before being set aside");
        Assert.True(router.Node.Spool.Contains(poisonId), "the poisonous message must stay queued, not be dropped");
    }
}
