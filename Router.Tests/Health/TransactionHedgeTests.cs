using System.Diagnostics;
using System.Text;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;
using Router.Testing.Firewalls;

namespace Router.Tests.Health;

/// <summary>
/// Hedging inside a transaction, on real sockets (issue 18): a MAIL FROM or RCPT TO far outside the firewall's
/// history is given up before any data is sent (hedged); the reply to the final dot never is.
/// </summary>
public sealed class TransactionHedgeTests
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("Subject: t\r\n\r\nhello\r\n");
    private static readonly LatencyPolicy Quick = LatencyPolicy.Default with { MinSamples = 5 };
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private static FirewallOptions Options(FakeFirewall fake) => new()
    {
        Id = fake.Name,
        Host = "127.0.0.1",
        Port = fake.Port,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        GreetingTimeout = TimeSpan.FromSeconds(30),
        CommandTimeout = CommandTimeout,
        DataTimeout = TimeSpan.FromSeconds(60),
        Latency = Quick,
    };

    private static DeliveryJob Job(int n) =>
        new($"Q{n}", "sender@example.org", [0, 1], ["a@example.net", "b@example.net"], Body.Length, "*", 0);

    private static async Task LearnAsync(FirewallConnection connection, int jobs)
    {
        for (var i = 0; i < jobs; i++)
        {
            var result = await connection.DeliverAsync(Job(i), () => new MemoryStream(Body), CancellationToken.None);
            Assert.Equal(AttemptOutcome.Completed, result.Outcome);
        }
    }

    [Fact]
    public async Task A_mail_from_far_outside_the_history_is_hedged_before_any_data_is_sent()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var book = new LatencyBook(Quick);
        await using var connection = new FirewallConnection(Options(fake), book);
        await LearnAsync(connection, 6);
        var learnt = book.Snapshot(_ => CommandTimeout).Single(p => p.Phase == DeliveryPhase.Mail);
        Assert.True(learnt.Adaptive, "MAIL has history");
        Assert.Equal(12, book.Snapshot(_ => CommandTimeout).Single(p => p.Phase == DeliveryPhase.Rcpt).Samples);

        fake.Behavior = FirewallBehavior.StallAtMail;
        var watch = Stopwatch.StartNew();
        var result = await connection.DeliverAsync(Job(99), () => new MemoryStream(Body), CancellationToken.None);

        Assert.True(result.Hedged, result.Detail);
        Assert.False(result.DataSent);
        Assert.Equal(AttemptOutcome.CommandTimeout, result.Outcome);
        Assert.Contains("MAIL FROM", result.Detail);
        Assert.Contains("far outside its history", result.Detail);
        // About a second on loopback; a quarter of the fixed timeout leaves room for a loaded machine.
        Assert.True(watch.Elapsed < CommandTimeout / 4, $"gave up after {watch.Elapsed}");
        Assert.Equal(6, fake.Count);
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task The_reply_to_the_final_dot_is_never_hedged_however_far_outside_its_history()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var book = new LatencyBook(Quick);
        await using var connection = new FirewallConnection(Options(fake), book);
        await LearnAsync(connection, 6);
        var endOfData = book.Snapshot(_ => CommandTimeout).Single(p => p.Phase == DeliveryPhase.EndOfData);
        Assert.True(endOfData.Samples >= 6);
        // What the threshold would be if the final dot were judged: well under the scanner's delay below.
        Assert.True(endOfData.Threshold < TimeSpan.FromSeconds(2.5), $"threshold {endOfData.Threshold}");

        fake.Behavior = FirewallBehavior.Slow(TimeSpan.Zero, TimeSpan.FromSeconds(2.5));
        var watch = Stopwatch.StartNew();
        var result = await connection.DeliverAsync(Job(99), () => new MemoryStream(Body), CancellationToken.None);

        Assert.Equal(AttemptOutcome.Completed, result.Outcome);
        Assert.False(result.Hedged);
        Assert.All(result.Recipients, r => Assert.Equal(250, r.Code));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2.4), $"answered after {watch.Elapsed}");
        Assert.Equal(7, fake.Count);
    }

    [Fact]
    public async Task Without_history_a_stalled_mail_from_waits_for_the_fixed_command_timeout()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.StallAtMail;
        var options = Options(fake) with { CommandTimeout = TimeSpan.FromSeconds(2) };
        await using var connection = new FirewallConnection(options, new LatencyBook(Quick));
        var watch = Stopwatch.StartNew();
        var result = await connection.DeliverAsync(Job(1), () => new MemoryStream(Body), CancellationToken.None);

        Assert.False(result.Hedged);
        Assert.Equal(AttemptOutcome.CommandTimeout, result.Outcome);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"gave up after {watch.Elapsed}");
    }

    [Fact]
    public async Task The_probe_transaction_passes_a_firewall_that_answers_mail_even_with_a_refusal_and_fails_one_that_stalls_there()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var options = Options(fake) with { CommandTimeout = TimeSpan.FromSeconds(2) };

        async Task<string?> ProbeAsync()
        {
            await using var connection = new FirewallConnection(options, new LatencyBook(Quick), judged: false);
            var (outcome, _, detail, _) = await connection.OpenAsync(CancellationToken.None);
            Assert.True(outcome is null, detail);
            return await connection.ProbeTransactionAsync(CancellationToken.None);
        }

        Assert.Null(await ProbeAsync());
        fake.Behavior = FirewallBehavior.Reject451OnMail;
        Assert.Null(await ProbeAsync());
        fake.Behavior = FirewallBehavior.StallAtMail;
        Assert.Contains("no reply to MAIL FROM:<>", await ProbeAsync());
        Assert.Equal(0, fake.Count);
    }
}
