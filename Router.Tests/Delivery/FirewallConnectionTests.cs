using System.Diagnostics;
using System.Text;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Messages.Delivery;
using Router.Testing.Firewalls;

namespace Router.Tests.Delivery;

/// <summary>The egress client against a real SMTP server that misbehaves on command: each fault classified.</summary>
public sealed class FirewallConnectionTests
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("Subject: t\r\n\r\nhello\r\n");

    private static FirewallOptions Options(FakeFirewall fake) => new()
    {
        Id = fake.Name,
        Host = "127.0.0.1",
        Port = fake.Port,
        ConnectTimeout = TimeSpan.FromSeconds(1),
        GreetingTimeout = TimeSpan.FromSeconds(1),
        CommandTimeout = TimeSpan.FromSeconds(5),
        DataTimeout = TimeSpan.FromSeconds(5),
    };

    private static DeliveryJob Job(params string[] recipients) =>
        new("Q1", "sender@example.org", Enumerable.Range(0, recipients.Length).ToArray(), recipients, Body.Length, "*", 0);

    private static async Task<DeliveryResult> DeliverAsync(FakeFirewall fake, DeliveryJob job)
    {
        await using var connection = new FirewallConnection(Options(fake));
        return await connection.DeliverAsync(job, () => new MemoryStream(Body), CancellationToken.None);
    }

    [Fact]
    public async Task Accepted_message_is_completed_with_250_per_recipient()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var result = await DeliverAsync(fake, Job("a@example.net", "b@example.net"));
        Assert.Equal(AttemptOutcome.Completed, result.Outcome);
        Assert.True(result.DataSent);
        Assert.All(result.Recipients, r => Assert.Equal(250, r.Code));
        Assert.Equal(Body, fake.Messages.Single().Data);
    }

    [Theory]
    [InlineData(".starts with a dot\r\n..two\r\n.\r\nend.\r\n", ".starts with a dot\r\n..two\r\n.\r\nend.\r\n")]
    [InlineData(".\r\nno final newline", ".\r\nno final newline\r\n")]
    public async Task Lines_that_start_with_a_dot_arrive_as_they_were_spooled(string body, string expected)
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var bytes = Encoding.ASCII.GetBytes("Subject: dots\r\n\r\n" + body);
        await using var connection = new FirewallConnection(Options(fake));
        var job = new DeliveryJob("Q1", "sender@example.org", [0], ["a@example.net"], bytes.Length, "*", 0);
        var result = await connection.DeliverAsync(job, () => new MemoryStream(bytes), CancellationToken.None);
        Assert.Equal(AttemptOutcome.Completed, result.Outcome);
        Assert.Equal("Subject: dots\r\n\r\n" + expected, Encoding.ASCII.GetString(fake.Messages.Single().Data));
    }

    [Fact]
    public async Task A_451_to_mail_is_a_transient_rejection_for_every_recipient_not_a_verdict_on_them()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.Reject451OnMail;
        var result = await DeliverAsync(fake, Job("a@example.net", "b@example.net"));
        Assert.Equal(AttemptOutcome.TransientRejection, result.Outcome);
        Assert.All(result.Recipients, r => Assert.Equal(451, r.Code));
        Assert.False(result.DataSent);
    }

    [Fact]
    public async Task Recipient_rejections_are_per_recipient()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.Reject550Recipient("bad");
        var result = await DeliverAsync(fake, Job("bad@example.net", "good@example.net"));
        Assert.Equal(AttemptOutcome.Completed, result.Outcome);
        Assert.Equal([550, 250], result.Recipients.Select(r => r.Code));
    }

    [Fact]
    public async Task A_refused_port_is_a_connect_failure()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        await fake.StopAsync();
        var result = await DeliverAsync(fake, Job("a@example.net"));
        Assert.Equal(AttemptOutcome.ConnectFailed, result.Outcome);
    }

    [Fact]
    public async Task A_firewall_that_never_greets_is_a_greeting_timeout_after_the_greeting_timeout()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.StallBeforeGreeting;
        var clock = Stopwatch.StartNew();
        var result = await DeliverAsync(fake, Job("a@example.net"));
        Assert.Equal(AttemptOutcome.GreetingTimeout, result.Outcome);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 4);
    }

    [Fact]
    public async Task A_421_greeting_is_a_refused_session()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.Greeting421;
        var result = await DeliverAsync(fake, Job("a@example.net"));
        Assert.Equal(AttemptOutcome.SessionRefused, result.Outcome);
        Assert.All(result.Recipients, r => Assert.Equal(421, r.Code));
    }

    [Fact]
    public async Task A_connection_dropped_after_the_data_is_lost_with_the_data_sent()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        fake.Behavior = FirewallBehavior.DropAfterData;
        var result = await DeliverAsync(fake, Job("a@example.net"));
        Assert.Equal(AttemptOutcome.ConnectionLost, result.Outcome);
        Assert.True(result.DataSent);
    }

    [Fact]
    public async Task A_pooled_connection_the_firewall_closed_is_replaced_without_failing_the_job()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        await using var connection = new FirewallConnection(Options(fake));
        var first = await connection.DeliverAsync(Job("a@example.net"), () => new MemoryStream(Body), CancellationToken.None);
        Assert.Equal(AttemptOutcome.Completed, first.Outcome);
        // Reset every open connection, then accept again: the pooled one is now dead.
        await fake.StopAsync();
        await fake.RestartAsync();
        var second = await connection.DeliverAsync(Job("a@example.net"), () => new MemoryStream(Body), CancellationToken.None);
        Assert.True(second.Outcome == AttemptOutcome.Completed, $"{second.Outcome}: {second.Detail} (data sent: {second.DataSent})");
        Assert.Equal(2, fake.Count);
    }
}
