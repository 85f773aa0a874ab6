using System.Diagnostics;
using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 18: every shape of a dead firewall, over real sockets, with fixed timeouts of 10 s. Once the node has
/// learnt how fast fw-a answers, each shape costs about a second: the stalled attempts are hedged to fw-b,
/// fw-a trips well before any fixed timeout, and every message arrives exactly once.
/// </summary>
public sealed class BlackholeShapeTests
{
    private const int Clients = 8;

    /// <summary>What the detector's verdict is measured against: the fixed timeouts of every step.</summary>
    private static readonly TimeSpan FixedTimeout = TimeSpan.FromSeconds(10);

    // Probes every 250 ms while healthy give the opening steps a history in a second or two; five samples judge.
    private const string Detector = """
        firewall-defaults {
          connect-timeout = 10s
          greeting-timeout = 10s
          command-timeout = 10s
          tls-handshake-timeout = 10s
          healthy-probe-interval = 250ms
          detector-min-samples = 5
        }
        """;

    // The same fixed timeouts with the default detector settings (20 samples before a firewall's own history judges).
    private const string FixedTimeouts = """
        firewall-defaults {
          connect-timeout = 10s
          greeting-timeout = 10s
          command-timeout = 10s
        }
        """;

    public static TheoryData<string> Shapes => ["accept-never-greet", "never-accept", "stall-at-ehlo", "stall-at-mail", "reset-after-greeting"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_dead_firewall_of_any_shape_trips_well_before_its_fixed_timeouts_and_its_mail_goes_elsewhere_once(string shape)
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(Detector + TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);
        var firewall = await router.Node.System.ActorSelection("/user/firewall-fw-a").ResolveOne(TimeSpan.FromSeconds(5));

        // Learn: mail through both, until fw-a's history judges every step the shapes stall in.
        var warmUp = await SendAsync(router, 200, "w");
        await AssertEachArrivedOnceAsync(warmUp, fwA, fwB);
        var judged = new[] { "connect", "greeting", "ehlo", "mail" };
        await Eventually.TrueAsync(async () => judged.All((await SnapshotAsync(firewall)).Latencies!.Where(p => p.Adaptive).Select(p => p.Phase).ToHashSet().Contains),
            TimeSpan.FromSeconds(30), "fw-a's connect, greeting, EHLO and MAIL have history");
        Assert.Equal(0, (await SnapshotAsync(firewall)).Hedged);

        var died = DateTimeOffset.UtcNow;
        Kill(fwA, shape);
        var watch = Stopwatch.StartNew();
        var sent = await SendAsync(router, 400, "b");

        var tripped = await events.WaitForAsync("fw-a", "tripped", died, TimeSpan.FromSeconds(30));
        var toTrip = tripped.At - died;
        // About a second on an idle machine (the learnt thresholds); half the fixed timeout leaves room for a loaded one.
        Assert.True(toTrip < FixedTimeout / 2, $"{shape}: tripped {toTrip.TotalSeconds:0.00}s after it died ({tripped.Reason})");
        await AssertEachArrivedOnceAsync(sent, fwA, fwB);
        Assert.DoesNotContain(fwA.Messages, m => TestMail.IdOf(m.Data).StartsWith('b'));

        var snapshot = await SnapshotAsync(firewall);
        if (shape == "reset-after-greeting")
        {
            // Reset at once: nothing to wait for, nothing to hedge (on loopback the reset can beat the connect's completion).
            Assert.DoesNotContain("far outside", tripped.Reason);
            Assert.Matches("Reset|SessionRefused|ConnectionLost", tripped.Reason);
        }
        else
            Assert.True(snapshot.Hedged > 0, $"{shape}: no job hedged; trip reason: {tripped.Reason}");
        Console.WriteLine($"{shape}: tripped after {toTrip.TotalSeconds:0.00}s, {snapshot.Hedged} hedged, 400 messages through in {watch.Elapsed.TotalSeconds:0.0}s: {tripped.Reason}");
    }

    /// <summary>
    /// Default detector settings (20 samples before a step's own history judges) and reused sessions: fw-a has answered
    /// far more than 20 MAIL FROMs but opened fewer than 20 sessions, so its EHLO history is still too short to judge.
    /// A stall at MAIL is judged against fw-a's own MAIL history, so it is fw-a's own failure (suspect, tripped after
    /// trip-after hedges), not "slower than the other firewalls" (which only probes, and would leave it untripped until
    /// three probes had each waited the fixed command timeout).
    /// </summary>
    [Fact]
    public async Task A_stall_at_MAIL_is_judged_by_the_firewalls_own_MAIL_history_even_while_its_EHLO_history_is_short()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(FixedTimeouts + TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);
        var firewall = await router.Node.System.ActorSelection("/user/firewall-fw-a").ResolveOne(TimeSpan.FromSeconds(5));

        var warmUp = await SendAsync(router, 200, "m");
        await AssertEachArrivedOnceAsync(warmUp, fwA, fwB);
        var latencies = (await SnapshotAsync(firewall)).Latencies!.ToDictionary(p => p.Phase);
        Assert.True(latencies["mail"].Adaptive, $"MAIL has {latencies["mail"].Samples} samples");
        Assert.False(latencies["ehlo"].Adaptive, $"EHLO has {latencies["ehlo"].Samples} samples: the case needs fewer than 20");

        var died = DateTimeOffset.UtcNow;
        Kill(fwA, "stall-at-mail");
        var sent = await SendAsync(router, 200, "n");

        var tripped = await events.WaitForAsync("fw-a", "tripped", died, TimeSpan.FromSeconds(60));
        Assert.True(tripped.At - died < FixedTimeout / 2, $"tripped {(tripped.At - died).TotalSeconds:0.00}s after it died ({tripped.Reason})");
        Assert.DoesNotContain(events.All, e => e.FirewallId == "fw-a" && e.At >= died && e.Reason.Contains("far slower than this node's other firewalls"));
        await AssertEachArrivedOnceAsync(sent, fwA, fwB);
    }

    public static TheoryData<string> DeadFromTheStart => ["accept-never-greet", "never-accept", "stall-at-ehlo", "stall-at-mail"];

    /// <summary>
    /// A fresh node, and fw-b dead from its first connection: fw-b has no history to be judged by, so its first waits
    /// are judged against fw-a's (the node's other firewall). They are given up after about a second, not the fixed
    /// ten, fw-b takes no more work until a probe with the fixed timeouts has spoken (it fails: tripped), and every
    /// message arrives once, through fw-a. Default detector settings (20 samples before a firewall's own history judges).
    /// A wait that began before fw-a had answered anything (the first EHLOs and MAILs of a fresh node go out at once)
    /// is judged again as it runs, so no message waits out a fixed timeout either: the last one arrives well before it.
    /// </summary>
    [Theory]
    [MemberData(nameof(DeadFromTheStart))]
    public async Task A_firewall_dead_from_the_start_is_judged_against_the_other_firewalls_and_costs_a_second_not_its_timeout(string shape)
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        Kill(fwB, shape);
        await using var router = await TestRouter.StartAsync(FixedTimeouts + TestRouter.EqualCost(fwA, fwB));
        var events = HealthEvents.Attach(router.Node.System);
        var firewall = await router.Node.System.ActorSelection("/user/firewall-fw-b").ResolveOne(TimeSpan.FromSeconds(5));

        var started = DateTimeOffset.UtcNow;
        var sent = await SendAsync(router, 200, "c");

        var probing = await events.WaitForAsync("fw-b", "probing", started, TimeSpan.FromSeconds(30));
        Assert.Contains("far slower than this node's other firewalls", probing.Reason);
        // About a second on an idle machine; half the fixed timeout leaves room for a loaded one.
        Assert.True(probing.At - started < FixedTimeout / 2, $"{shape}: first judged {(probing.At - started).TotalSeconds:0.00}s after the load began ({probing.Reason})");
        await AssertEachArrivedOnceAsync(sent, fwA, fwB);
        Assert.Equal(0, fwB.Count);
        // A message held by a wait that kept its fixed timeout arrives after it (10 s); judged ones arrive within a few seconds.
        var last = fwA.Messages.Max(m => m.At) - started;
        Assert.True(last < FixedTimeout * 0.9, $"{shape}: the last message arrived {last.TotalSeconds:0.00}s after the load began, as if a wait kept its fixed timeout");
        Assert.True((await SnapshotAsync(firewall)).Hedged > 0, $"{shape}: no job hedged");
        // Its probes wait the fixed timeouts and fail: each counts one failure, and trip-after (3) of them trip it.
        var tripped = await events.WaitForAsync("fw-b", "tripped", started, TimeSpan.FromSeconds(75));
        Assert.Contains("probe failed", tripped.Reason);
        Assert.DoesNotContain(events.All, e => e.FirewallId == "fw-b" && e.To == "suspect" && e.At < probing.At);
    }

    /// <summary>Kills fw-a as the shape says. Open sessions are reset first where the shape is about new connections.</summary>
    private static void Kill(FakeFirewall firewall, string shape)
    {
        switch (shape)
        {
            case "accept-never-greet":
                firewall.Behavior = FirewallBehavior.Refuse;
                firewall.Behavior = FirewallBehavior.StallBeforeGreeting;
                break;
            case "never-accept":
                firewall.Behavior = FirewallBehavior.NeverAccept;
                break;
            case "stall-at-ehlo":
                firewall.Behavior = FirewallBehavior.Refuse;
                firewall.Behavior = FirewallBehavior.StallAtEhlo;
                break;
            case "stall-at-mail":
                // The pooled sessions stay open and hang at their next MAIL FROM, as new ones do.
                firewall.Behavior = FirewallBehavior.StallAtMail;
                break;
            case "reset-after-greeting":
                firewall.Behavior = FirewallBehavior.Refuse;
                firewall.Behavior = FirewallBehavior.ResetAfterGreeting;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, null);
        }
    }

    private static Task<FirewallSnapshot> SnapshotAsync(IActorRef firewall) =>
        firewall.Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(10));

    /// <summary>Sends <paramref name="total"/> messages from 8 clients over reused sessions (a refusal throws).</summary>
    internal static async Task<IReadOnlyList<byte[]>> SendAsync(TestRouter router, int total, string prefix)
    {
        var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"{prefix}{i:D5}")).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c =>
            TestMail.SendAsync(router.Smtp, messages.Where((_, i) => i % Clients == c))));
        return messages;
    }

    /// <summary>Every message arrived, and none twice.</summary>
    internal static async Task AssertEachArrivedOnceAsync(IReadOnlyList<byte[]> sent, params FakeFirewall[] firewalls)
    {
        var expected = sent.Select(TestMail.IdOf).ToHashSet();
        IEnumerable<string> Arrived() => firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).Where(expected.Contains);
        await Eventually.TrueAsync(() => Arrived().Distinct().Count() >= expected.Count, TimeSpan.FromSeconds(90),
            () => $"arrived {Arrived().Distinct().Count()} of {expected.Count}");
        var twice = Arrived().GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"delivered twice: {string.Join(", ", twice.Take(10))}");
    }
}
