using System.Diagnostics;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;
using Router.Testing.Firewalls;

namespace Router.Tests.Health;

/// <summary>
/// The latency detector on real sockets (issue 18): a firewall's history of each opening step decides how
/// long a connection waits, with the fixed timeout as the upper bound and as the only bound without history.
/// </summary>
public sealed class LatencyDetectionTests
{
    private static readonly LatencyPolicy Quick = LatencyPolicy.Default with { MinSamples = 5 };

    private static FirewallOptions Options(FakeFirewall fake, TimeSpan greetingTimeout) => new()
    {
        Id = fake.Name,
        Host = "127.0.0.1",
        Port = fake.Port,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        GreetingTimeout = greetingTimeout,
        CommandTimeout = TimeSpan.FromSeconds(30),
        Latency = Quick,
    };

    private static async Task LearnAsync(FirewallOptions options, LatencyBook book, int sessions)
    {
        for (var i = 0; i < sessions; i++)
        {
            await using var connection = new FirewallConnection(options, book);
            var (outcome, _, detail, _) = await connection.OpenAsync(CancellationToken.None);
            Assert.True(outcome is null, detail);
            await connection.CloseAsync();
        }
    }

    [Fact]
    public async Task Opening_records_connect_greeting_and_ehlo_latencies()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var options = Options(fake, TimeSpan.FromSeconds(30));
        var book = new LatencyBook(Quick);
        await LearnAsync(options, book, 5);

        var phases = book.Snapshot(_ => TimeSpan.FromSeconds(30)).ToDictionary(p => p.Phase);
        Assert.Equal(5, phases[DeliveryPhase.Connect].Samples);
        Assert.Equal(5, phases[DeliveryPhase.Greeting].Samples);
        Assert.Equal(5, phases[DeliveryPhase.Ehlo].Samples);
        Assert.True(phases[DeliveryPhase.Greeting].Adaptive);
        Assert.True(phases[DeliveryPhase.Greeting].Threshold < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_greeting_far_outside_the_history_is_given_up_long_before_greeting_timeout()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var greetingTimeout = TimeSpan.FromSeconds(60);
        var options = Options(fake, greetingTimeout);
        var book = new LatencyBook(Quick);
        await LearnAsync(options, book, 5);

        fake.Behavior = FirewallBehavior.StallBeforeGreeting;
        await using var connection = new FirewallConnection(options, book);
        var watch = Stopwatch.StartNew();
        var (outcome, _, detail, hedged) = await connection.OpenAsync(CancellationToken.None);

        Assert.Equal(AttemptOutcome.GreetingTimeout, outcome);
        Assert.Equal(DeliveryPhase.Greeting, hedged);
        Assert.Contains("far outside its history", detail);
        // The learnt threshold is about a second on loopback; half the fixed timeout leaves room for a loaded machine.
        Assert.True(watch.Elapsed < greetingTimeout / 2, $"gave up after {watch.Elapsed}");
    }

    [Fact]
    public async Task Without_history_the_fixed_greeting_timeout_applies()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.StallBeforeGreeting;
        var greetingTimeout = TimeSpan.FromSeconds(2);
        await using var connection = new FirewallConnection(Options(fake, greetingTimeout), new LatencyBook(Quick));
        var watch = Stopwatch.StartNew();
        var (outcome, _, detail, hedged) = await connection.OpenAsync(CancellationToken.None);

        Assert.Equal(AttemptOutcome.GreetingTimeout, outcome);
        Assert.Null(hedged);
        Assert.DoesNotContain("far outside", detail);
        Assert.True(watch.Elapsed >= greetingTimeout - TimeSpan.FromMilliseconds(100), $"gave up after {watch.Elapsed}");
    }
}
