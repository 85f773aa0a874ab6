using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 20 over real sockets: a firewall's weight, max-messages-per-connection, max-message-rate and max-connection-rate.</summary>
public sealed class FirewallLimitsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string OneFirewall(FakeFirewall firewall, string keys) => $$"""
        firewalls {
          {{firewall.Name}} {
            host = "127.0.0.1"
            port = {{firewall.Port}}
            {{keys}}
          }
        }
        connectors { out { address-spaces = ["*;1"], firewalls = [{{firewall.Name}}] } }
        """;

    private static byte[][] Messages(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => TestMail.Build($"{prefix}{i:D3}")).ToArray();

    [Fact]
    public async Task A_firewall_of_weight_3_gets_three_times_the_share_of_one_of_weight_1()
    {
        await using var heavy = await FakeFirewall.StartAsync("fw-heavy");
        await using var light = await FakeFirewall.StartAsync("fw-light");
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-heavy { host = "127.0.0.1", port = {{heavy.Port}}, weight = 3 }
              fw-light { host = "127.0.0.1", port = {{light.Port}} }
            }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-heavy, fw-light] } }
            """);

        await TestMail.SendAsync(router.Smtp, Messages("w", 80));

        await Router.Testing.Eventually.TrueAsync(() => heavy.Count + light.Count >= 80, Deadline, () => $"heavy {heavy.Count}, light {light.Count}");
        // Smooth weighted round robin gives 60:20 while both have room; a job that finds one firewall's window full
        // goes to the other, so allow some spread around 3:1, far from the 40:40 of equal shares.
        Assert.InRange(heavy.Count, 52, 68);
        Assert.Equal(80, heavy.Count + light.Count);
    }

    [Fact]
    public async Task Max_messages_per_connection_closes_a_pooled_connection_after_that_many_transactions()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(OneFirewall(firewall, "max-messages-per-connection = 2"));
        var before = firewall.ConnectionsAccepted;

        await TestMail.SendAsync(router.Smtp, Messages("c", 12));

        await firewall.WaitForCountAsync(12, Deadline);
        // At most two messages per connection: at least six connections for twelve (probes add more, never fewer).
        Assert.True(firewall.ConnectionsAccepted - before >= 6, $"{firewall.ConnectionsAccepted - before} connection(s) for 12 messages");
    }

    [Fact]
    public async Task Max_message_rate_spaces_the_transactions_out()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(OneFirewall(firewall, "max-message-rate = 4/s"));

        await TestMail.SendAsync(router.Smtp, Messages("r", 14));

        await firewall.WaitForCountAsync(14, Deadline);
        // A bucket of 4 (one second's worth), then 4 a second: the last of 14 comes at least (14 - 4) / 4 = 2.5 s
        // after the first; slower under load, never faster.
        var times = firewall.Messages.Select(m => m.At).Order().ToArray();
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(2.2), $"14 messages within {(times[^1] - times[0]).TotalSeconds:0.00}s");
    }

    [Fact]
    public async Task Max_connection_rate_spaces_the_new_connections_out()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(OneFirewall(firewall, "max-messages-per-connection = 1\nmax-connection-rate = 3/s"));

        await TestMail.SendAsync(router.Smtp, Messages("k", 10));

        await firewall.WaitForCountAsync(10, Deadline);
        // One message per connection, 3 new connections a second after a bucket of 3: at least (10 - 3) / 3 s.
        var times = firewall.Messages.Select(m => m.At).Order().ToArray();
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(2.0), $"10 connections within {(times[^1] - times[0]).TotalSeconds:0.00}s");
    }
}
