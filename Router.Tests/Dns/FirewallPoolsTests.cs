using System.Net;
using Router.Actors.Configuration;
using Router.Actors.Delivery.Dns;
using Router.Testing.Dns;

namespace Router.Tests.Dns;

/// <summary>Issue 20 item 4: a firewall host name is a pool of members, one per address, resolved with its TTL.</summary>
public sealed class FirewallPoolsTests
{
    private static RouterOptions Options(string dns = "") => RouterConfig.ToOptions(RouterConfig.Parse($$"""
        router {
          firewalls {
            pool { host = "Relay.Example.", port = 2525, weight = 2, tls = verify }
            fixed { host = "192.0.2.9" }
          }
          connectors {
            out { address-spaces = ["*;1"], firewalls = [pool, fixed] }
          }
          {{dns}}
        }
        """));

    [Fact]
    public void A_resolved_pool_becomes_one_member_per_address_with_the_pools_settings_and_the_host_name_for_tls()
    {
        var declared = Options();
        var resolution = new PoolResolution([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], TimeSpan.FromMinutes(5), "dns");

        var run = FirewallPools.Expand(declared, new Dictionary<string, PoolResolution> { ["relay.example"] = resolution });

        Assert.Equal(["pool@192.0.2.1", "pool@2001:db8::1", "fixed"], run.Firewalls.Select(f => f.Id));
        var member = run.Firewalls[1];
        Assert.Equal(("2001:db8::1", 2525, 2, FirewallTls.Verify, "pool"), (member.Host, member.Port, member.Weight, member.Tls, member.Pool));
        Assert.Equal("Relay.Example.", member.TlsServerName);
        Assert.Equal(["pool@192.0.2.1", "pool@2001:db8::1", "fixed"], run.Connectors.Single().FirewallIds);
        Assert.Equal(["relay.example"], FirewallPools.Names(declared));
    }

    [Fact]
    public void A_name_not_resolved_or_without_addresses_stays_one_firewall_under_its_own_id()
    {
        var declared = Options();
        Assert.Equal(["pool", "fixed"], FirewallPools.Expand(declared, FirewallPools.None).Firewalls.Select(f => f.Id));
        var empty = new Dictionary<string, PoolResolution> { ["relay.example"] = new([], TimeSpan.FromSeconds(5), "dns") };
        Assert.Equal(["pool", "fixed"], FirewallPools.Expand(declared, empty).Connectors.Single().FirewallIds);
    }

    [Fact]
    public void A_change_of_members_is_firewalls_added_and_removed_and_the_connector_changed_while_a_member_that_stays_is_untouched()
    {
        var declared = Options();
        PoolResolution Of(params string[] addresses) => new(addresses.Select(IPAddress.Parse).ToArray(), TimeSpan.FromMinutes(1), "dns");
        var before = FirewallPools.Expand(declared, new Dictionary<string, PoolResolution> { ["relay.example"] = Of("192.0.2.1", "192.0.2.2") });
        var after = FirewallPools.Expand(declared, new Dictionary<string, PoolResolution> { ["relay.example"] = Of("192.0.2.2", "192.0.2.3") });

        var diff = ConfigDiff.Between(before, after);

        Assert.Equal(["pool@192.0.2.3"], diff.FirewallsAdded);
        Assert.Equal(["pool@192.0.2.1"], diff.FirewallsRemoved);
        Assert.Empty(diff.FirewallsChanged);
        Assert.Equal(["out"], diff.ConnectorsChanged);
        Assert.Empty(diff.RestartOnly);
    }

    [Fact]
    public void The_dns_section_is_validated_with_named_keys()
    {
        var error = Assert.Throws<RouterConfigException>(() => Options("""dns { servers = ["ns.example"], min-ttl = 10m, max-ttl = 1m, retries = 3 }"""));
        var text = string.Join("\n", error.Errors);
        Assert.Contains("router.dns.servers[0]", text);
        Assert.Contains("router.dns.max-ttl", text);
        Assert.Contains("router.dns.retries", text);
        var dns = Options("""dns { servers = ["127.0.0.1:5353", "192.0.2.53"] }""").Dns;
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 5353), new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53)], dns.Servers);
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10)), (dns.Timeout, dns.MinTtl, dns.MaxTtl));
    }

    [Fact]
    public async Task The_resolver_reads_a_and_aaaa_records_from_a_real_dns_server_with_the_shortest_ttl_clamped()
    {
        await using var dns = TestDnsServer.Start();
        dns.SetAddresses("relay.test", TimeSpan.FromSeconds(300), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback);
        dns.SetAddresses("short.test", TimeSpan.FromSeconds(1), IPAddress.Parse("127.0.0.5"));
        var resolver = new PoolResolver(new DnsOptions { Servers = [dns.EndPoint], MinTtl = TimeSpan.FromSeconds(5), MaxTtl = TimeSpan.FromSeconds(120) });

        var relay = await resolver.ResolveAsync("relay.test", CancellationToken.None);
        var shortTtl = await resolver.ResolveAsync("short.test", CancellationToken.None);
        var missing = await resolver.ResolveAsync("missing.test", CancellationToken.None);

        Assert.Equal(["127.0.0.2", "127.0.0.3", "::1"], relay.Addresses.Select(a => a.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(120), relay.Ttl); // 300 s, within max-ttl
        Assert.Equal(TimeSpan.FromSeconds(5), shortTtl.Ttl); // 1 s, raised to min-ttl
        Assert.Equal("dns", relay.Source);
        Assert.Empty(missing.Addresses);
        Assert.True(dns.QueriesFor("relay.test") >= 2, "A and AAAA were not both asked");
    }

    [Fact]
    public async Task A_server_that_fails_is_an_error_the_caller_keeps_its_members_through_not_an_empty_pool()
    {
        await using var dns = TestDnsServer.Start();
        dns.SetAddresses("relay.test", TimeSpan.FromSeconds(60), IPAddress.Parse("127.0.0.2"));
        dns.Failing = true;
        var resolver = new PoolResolver(new DnsOptions { Servers = [dns.EndPoint], Timeout = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<PoolLookupException>(() => resolver.ResolveAsync("relay.test", CancellationToken.None));
        Assert.Contains("relay.test", error.Message);
    }
}
