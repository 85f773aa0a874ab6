using System.Net;
using Akka.Actor;
using Router.Messages.Health;
using Router.Testing;
using Router.Testing.Dns;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Dns;

/// <summary>
/// Issue 20 item 4 end to end: a firewall named by a host name that a real DNS server on loopback resolves to several
/// addresses, each a real SMTP server (fake firewalls on 127.0.0.x sharing one port).
/// </summary>
public sealed class FirewallPoolDeliveryTests
{
    private static string Config(TestDnsServer dns, int port) => $$"""
        dns { servers = ["{{dns.EndPoint}}"], min-ttl = 1s }
        firewalls { fw { host = "relay.test", port = {{port}} } }
        connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
        """;

    [Fact]
    public async Task Mail_spreads_over_the_pools_addresses_and_a_dead_address_is_tripped_alone_while_the_other_carries_everything()
    {
        await using var dns = TestDnsServer.Start();
        var pool = await FakeFirewall.StartSharingPortAsync("fw-pool", 2);
        await using var a = pool[0];
        await using var b = pool[1];
        dns.SetAddresses("relay.test", TimeSpan.FromSeconds(300), a.Address, b.Address);
        await using var router = await TestRouter.StartAsync(Config(dns, a.Port));

        var first = Enumerable.Range(0, 20).Select(i => TestMail.Build($"pool-{i:D2}")).ToList();
        await TestMail.SendAsync(router.Smtp, first);
        await BlackholeShapeTests.AssertEachArrivedOnceAsync(first, a, b);
        Assert.True(a.Count > 0 && b.Count > 0, $"one address carried all: 127.0.0.2 {a.Count}, 127.0.0.3 {b.Count}");
        // router cmd firewall lists the members; asked for the pool by its own id, it names them.
        var admin = router.Node.AdminEndpoint!;
        using (var http = new HttpClient { BaseAddress = new Uri($"http://{admin.Address}:{admin.Port}/") })
        {
            var listed = await http.GetStringAsync("api/firewalls");
            Assert.Contains("fw@127.0.0.2", listed);
            Assert.Contains("fw@127.0.0.3", listed);
            using var byPoolId = await http.GetAsync("api/firewalls/fw");
            Assert.Equal(HttpStatusCode.NotFound, byPoolId.StatusCode);
            using var error = System.Text.Json.JsonDocument.Parse(await byPoolId.Content.ReadAsStringAsync());
            Assert.Equal("firewall 'fw' is a DNS pool; name one of its members: fw@127.0.0.2, fw@127.0.0.3",
                error.RootElement.GetProperty("error").GetString());
        }

        // One address dies: only its member trips; the other member takes the pool's mail.
        await b.StopAsync();
        var memberB = await router.Node.System.ActorSelection("/user/firewall-fw@127.0.0.3").ResolveOne(TimeSpan.FromSeconds(5));
        var memberA = await router.Node.System.ActorSelection("/user/firewall-fw@127.0.0.2").ResolveOne(TimeSpan.FromSeconds(5));
        var second = Enumerable.Range(0, 20).Select(i => TestMail.Build($"pool-dead-{i:D2}")).ToList();
        await TestMail.SendAsync(router.Smtp, second);
        await BlackholeShapeTests.AssertEachArrivedOnceAsync(second, a);
        await Eventually.TrueAsync(() => memberB.Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance).Result.State == "tripped", TimeSpan.FromSeconds(30),
            () => $"fw@127.0.0.3 is {memberB.Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance).Result.State}");
        Assert.Equal("healthy", (await memberA.Ask<FirewallSnapshot>(GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5))).State);
    }

    [Fact]
    public async Task When_the_name_resolves_to_other_addresses_the_new_member_carries_mail_and_the_gone_one_is_removed()
    {
        await using var dns = TestDnsServer.Start();
        var pool = await FakeFirewall.StartSharingPortAsync("fw-pool", 3);
        await using var a = pool[0];
        await using var b = pool[1];
        await using var c = pool[2];
        dns.SetAddresses("relay.test", TimeSpan.FromSeconds(1), a.Address, b.Address);
        await using var router = await TestRouter.StartAsync(Config(dns, a.Port));
        await router.Node.System.ActorSelection("/user/firewall-fw@127.0.0.3").ResolveOne(TimeSpan.FromSeconds(5));

        // The record changes: 127.0.0.3 leaves the pool, 127.0.0.4 joins it. The TTL (1 s) says when the router sees it.
        var asked = dns.QueriesFor("relay.test");
        dns.SetAddresses("relay.test", TimeSpan.FromSeconds(1), a.Address, c.Address);
        await Eventually.TrueAsync(async () => await ExistsAsync(router, "fw@127.0.0.4") && !await ExistsAsync(router, "fw@127.0.0.3"), TimeSpan.FromSeconds(30),
            () => $"members not changed ({dns.QueriesFor("relay.test") - asked} questions since the change)");

        var mail = Enumerable.Range(0, 30).Select(i => TestMail.Build($"pool-new-{i:D2}")).ToList();
        await TestMail.SendAsync(router.Smtp, mail);
        await BlackholeShapeTests.AssertEachArrivedOnceAsync(mail, a, c);
        Assert.True(c.Count > 0, "the new address carried nothing");
        Assert.Equal(0, b.Messages.Count(m => TestMail.IdOf(m.Data).StartsWith("pool-new-", StringComparison.Ordinal)));
    }

    private static async Task<bool> ExistsAsync(TestRouter router, string firewall)
    {
        try
        {
            await router.Node.System.ActorSelection($"/user/firewall-{firewall}").ResolveOne(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (ActorNotFoundException)
        {
            return false;
        }
    }
}
