using System.Net;
using Router.Actors.Configuration;
using Router.Actors.Routing;
using Xunit;

namespace Router.Tests.Configuration;

public sealed class RouterConfigTests
{
    private static RouterOptions Options(string hocon) => RouterConfig.ToOptions(RouterConfig.Parse(hocon));

    [Fact]
    public void The_contract_sample_parses_into_the_expected_options()
    {
        var options = Options(ConfigSamples.Contract);

        Assert.Equal("router-1", options.NodeName);
        Assert.Equal("data/spool", options.Spool.Path);
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:2525")], options.Smtp.Listen);
        Assert.Equal("router.localdomain", options.Smtp.Hostname);
        Assert.Equal(36_700_160, options.Smtp.MaxMessageSize);
        Assert.Equal(500, options.Smtp.MaxRecipients);
        Assert.Equal([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")], options.Smtp.RelayAllowedNetworks);

        Assert.Equal(["fw-a", "fw-b"], options.Firewalls.Select(f => f.Id));
        Assert.Equal(("127.0.0.1", 2601), (options.Firewalls[0].Host, options.Firewalls[0].Port));
        Assert.Equal(("127.0.0.1", 2602), (options.Firewalls[1].Host, options.Firewalls[1].Port));

        Assert.Equal(["outbound-a", "outbound-b", "partner"], options.Connectors.Select(c => c.Id));
        Assert.Equal([new AddressSpace("*", 1)], options.Connectors[0].AddressSpaces);
        Assert.Equal(["fw-a"], options.Connectors[0].FirewallIds);
        Assert.Equal(["fw-b"], options.Connectors[1].FirewallIds);
        Assert.Equal(
            [new AddressSpace("partner.example", 1), new AddressSpace("*.partner.example", 5)],
            options.Connectors[2].AddressSpaces);
        Assert.Equal(["fw-a", "fw-b"], options.Connectors[2].FirewallIds);
    }

    [Fact]
    public void The_contract_sample_builds_the_expected_address_space_table()
    {
        var table = Options(ConfigSamples.Contract).BuildAddressSpaceTable();

        // Pinned (the default since issue 20): partner mail never falls back to "*".
        Assert.Equal([new RouteTier("partner.example", 1, ["partner"])], table.Resolve("Partner.Example"));
        Assert.Equal([new RouteTier("*", 1, ["outbound-a", "outbound-b"])], table.Resolve("example.com"));

        // connector-defaults.fallback = on restores falling back to "*".
        var fallback = Options(ConfigSamples.Contract.Replace("connectors {", "connector-defaults.fallback = on\n  connectors {")).BuildAddressSpaceTable();
        Assert.Equal(
            [new RouteTier("partner.example", 1, ["partner"]), new RouteTier("*", 1, ["outbound-a", "outbound-b"])],
            fallback.Resolve("Partner.Example"));
    }

    [Fact]
    public void Defaults_are_applied_to_everything_left_out()
    {
        var options = Options(ConfigSamples.Minimal);

        Assert.Equal(Environment.MachineName.ToLowerInvariant(), options.NodeName);
        Assert.Equal("data/spool", options.Spool.Path);
        Assert.Equal(64L * 1024 * 1024, options.Spool.SegmentSize);

        var smtp = options.Smtp;
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:2525")], smtp.Listen);
        Assert.Equal("router.localdomain", smtp.Hostname);
        Assert.Equal(36_700_160, smtp.MaxMessageSize);
        Assert.Equal(500, smtp.MaxRecipients);
        Assert.Equal(1000, smtp.MaxConnections);
        Assert.Equal(TimeSpan.FromMinutes(30), smtp.SessionTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), smtp.CommandTimeout);
        Assert.Equal("router.localdomain ESMTP Router", smtp.Banner);
        Assert.Equal([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")], smtp.RelayAllowedNetworks);

        Assert.Equal(Router.Actors.Delivery.RetryPolicy.Default.Schedule, options.Delivery.Retry.Schedule);
        Assert.Equal(TimeSpan.FromDays(2), options.Delivery.Retry.ExpireAfter);
        Assert.Null(options.Delivery.Retry.DelayNoticeAfter);
        Assert.Equal(3, options.Delivery.PoisonAfter);

        var firewall = Assert.Single(options.Firewalls);
        Assert.Equal(25, firewall.Port);
        Assert.Equal(8, firewall.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(5), firewall.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), firewall.GreetingTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), firewall.CommandTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), firewall.TlsHandshakeTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), firewall.DataTimeout);
        Assert.Equal(3, firewall.TripAfter);
        Assert.Equal(TimeSpan.FromSeconds(10), firewall.OpenFor);
        Assert.Equal(TimeSpan.FromMinutes(5), firewall.MaxOpenFor);
        Assert.Equal(TimeSpan.FromSeconds(2), firewall.ProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), firewall.HealthyProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), firewall.SlowStart);
        Assert.Equal("router.localdomain", firewall.HeloName);
    }

    [Fact]
    public void The_reference_defaults_match_the_option_records_own_defaults()
    {
        var loaded = Options(ConfigSamples.Minimal);
        var firewall = loaded.Firewalls[0];

        Assert.Equal(new SpoolSettings(), loaded.Spool);
        Assert.Equal(new DeliveryOptions(), loaded.Delivery);
        Assert.Equal(new FirewallOptions { Id = firewall.Id, Host = firewall.Host }, firewall);
        var smtpDefaults = new SmtpOptions();
        Assert.Equal(
            (smtpDefaults.Hostname, smtpDefaults.MaxMessageSize, smtpDefaults.MaxRecipients, smtpDefaults.MaxConnections,
                smtpDefaults.SessionTimeout, smtpDefaults.CommandTimeout, smtpDefaults.Banner),
            (loaded.Smtp.Hostname, loaded.Smtp.MaxMessageSize, loaded.Smtp.MaxRecipients, loaded.Smtp.MaxConnections,
                loaded.Smtp.SessionTimeout, loaded.Smtp.CommandTimeout, loaded.Smtp.Banner));
        Assert.Equal(smtpDefaults.Listen, loaded.Smtp.Listen);
        Assert.Equal(smtpDefaults.RelayAllowedNetworks, loaded.Smtp.RelayAllowedNetworks);
    }

    [Fact]
    public void Firewall_defaults_from_the_file_apply_to_every_firewall()
    {
        var options = Options("""
            router {
              firewall-defaults { trip-after = 7, connect-timeout = 2s, port = 2525 }
              firewalls {
                fw-a { host = "10.0.0.1" }
                fw-b { host = "10.0.0.2" }
              }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a, fw-b] } }
            }
            """);

        Assert.All(options.Firewalls, f => Assert.Equal((7, TimeSpan.FromSeconds(2), 2525), (f.TripAfter, f.ConnectTimeout, f.Port)));
        // Keys the file's firewall-defaults leave out still come from the reference.
        Assert.All(options.Firewalls, f => Assert.Equal(TimeSpan.FromSeconds(10), f.OpenFor));
    }

    [Fact]
    public void A_per_firewall_option_beats_firewall_defaults()
    {
        var options = Options("""
            router {
              firewall-defaults { trip-after = 7, open-for = 20s, max-connections = 4 }
              firewalls {
                fw-a { host = "10.0.0.1", trip-after = 2, open-for = 1s, helo-name = "Edge.Example" }
                fw-b { host = "10.0.0.2" }
              }
              connectors { out { address-spaces = ["*;1"], firewalls = [fw-a, fw-b] } }
            }
            """);

        var a = options.Firewalls.Single(f => f.Id == "fw-a");
        var b = options.Firewalls.Single(f => f.Id == "fw-b");
        Assert.Equal((2, TimeSpan.FromSeconds(1), 4, "edge.example"), (a.TripAfter, a.OpenFor, a.MaxConnections, a.HeloName));
        Assert.Equal((7, TimeSpan.FromSeconds(20), 4, "router.localdomain"), (b.TripAfter, b.OpenFor, b.MaxConnections, b.HeloName));
    }

    [Fact]
    public void Helo_name_defaults_to_the_smtp_hostname()
    {
        var options = Options(ConfigSamples.MinimalWith("router.smtp.hostname = \"relay.corp.example\""));

        Assert.Equal("relay.corp.example", options.Firewalls[0].HeloName);
        Assert.Equal("relay.corp.example ESMTP Router", options.Smtp.Banner);
    }

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("10 seconds", 10_000)]
    [InlineData("\"10 seconds\"", 10_000)]
    [InlineData("1 second", 1_000)]
    [InlineData("2m", 120_000)]
    [InlineData("2 minutes", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("250 milliseconds", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData("750", 750)]
    public void Durations_parse_in_hocon_forms(string hocon, long expectedMilliseconds)
    {
        var options = Options(ConfigSamples.MinimalWith($"router.firewalls.fw-a.connect-timeout = {hocon}"));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), options.Firewalls[0].ConnectTimeout);
    }

    [Theory]
    [InlineData("1048576", 1_048_576)]
    [InlineData("512KiB", 524_288)]
    [InlineData("64 MiB", 67_108_864)]
    [InlineData("64M", 67_108_864)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("1 GiB", 1_073_741_824)]
    public void Sizes_parse_in_hocon_forms(string hocon, long expectedBytes)
    {
        var options = Options(ConfigSamples.MinimalWith($"router.spool.segment-size = {hocon}"));

        Assert.Equal(expectedBytes, options.Spool.SegmentSize);
    }

    [Fact]
    public void Listen_accepts_ipv6_and_port_zero()
    {
        var options = Options(ConfigSamples.MinimalWith("""router.smtp.listen = ["[::1]:2525", "127.0.0.1:0", "0.0.0.0:25"]"""));

        Assert.Equal(
            [IPEndPoint.Parse("[::1]:2525"), IPEndPoint.Parse("127.0.0.1:0"), IPEndPoint.Parse("0.0.0.0:25")],
            options.Smtp.Listen);
    }

    [Fact]
    public void A_bare_address_in_allowed_networks_is_a_single_host_network()
    {
        var options = Options(ConfigSamples.MinimalWith("""router.smtp.relay.allowed-networks = ["192.0.2.7", "2001:db8::1"]"""));

        Assert.Equal([IPNetwork.Parse("192.0.2.7/32"), IPNetwork.Parse("2001:db8::1/128")], options.Smtp.RelayAllowedNetworks);
    }

    [Fact]
    public void Ids_with_dots_are_read_when_quoted()
    {
        var options = Options("""
            router {
              firewalls { "fw.eu-1" { host = "10.0.0.1" } }
              connectors { "out.eu" { address-spaces = ["*;1"], firewalls = ["fw.eu-1"] } }
            }
            """);

        Assert.Equal("fw.eu-1", options.Firewalls[0].Id);
        Assert.Equal(("out.eu", "fw.eu-1"), (options.Connectors[0].Id, options.Connectors[0].FirewallIds[0]));
    }

    [Fact]
    public void The_reference_config_holds_no_firewalls_or_connectors()
    {
        // HOCON merges objects: firewalls in the reference would be added to every user's own.
        Assert.False(RouterConfig.Reference.HasPath("router.firewalls"));
        Assert.False(RouterConfig.Reference.HasPath("router.connectors"));
        Assert.True(RouterConfig.Reference.HasPath("router.firewall-defaults.trip-after"));
    }

    [Fact]
    public void A_users_firewalls_do_not_inherit_anyone_elses()
    {
        var options = Options(ConfigSamples.Minimal);

        Assert.Equal(["fw-a"], options.Firewalls.Select(f => f.Id));
        Assert.Equal(["out"], options.Connectors.Select(c => c.Id));
    }

    [Fact]
    public void Load_reads_a_file_over_the_reference()
    {
        var path = Path.Combine(Path.GetTempPath(), $"router-config-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, ConfigSamples.Contract);
        try
        {
            var options = RouterConfig.ToOptions(RouterConfig.Load(path));

            Assert.Equal("router-1", options.NodeName);
            Assert.Equal(TimeSpan.FromSeconds(5), options.Firewalls[0].ConnectTimeout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_of_a_missing_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-router-{Guid.NewGuid():N}.conf");

        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.Load(path));

        Assert.StartsWith($"{path}: cannot read the configuration file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_without_a_path_gives_the_reference_which_has_no_connectors()
    {
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Load(null)));

        Assert.Equal("router.connectors", error.Key);
    }

    [Fact]
    public void The_shipped_router_conf_loads_and_validates()
    {
        var options = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("hocon", "router.conf")));

        Assert.Equal("router-1", options.NodeName);
        // The contract's firewalls and connectors, plus the way back to the internal mail server.
        Assert.Equal(["fw-a", "fw-b", "mailhub"], options.Firewalls.Select(f => f.Id));
        Assert.Equal(["outbound-a", "outbound-b", "partner", "internal"], options.Connectors.Select(c => c.Id));
    }

    [Fact]
    public void The_shipped_router_conf_states_the_same_defaults_as_the_reference()
    {
        // router.conf documents every default; the node's built-in defaults must agree with it.
        var shipped = RouterConfig.ToOptions(RouterConfig.Load(RepositoryFile("hocon", "router.conf")));
        var builtIn = Options(ConfigSamples.Contract);

        Assert.Equal(builtIn.Spool, shipped.Spool);
        Assert.Equal(builtIn.Delivery, shipped.Delivery);
        Assert.Equal(builtIn.Firewalls, shipped.Firewalls.Where(f => f.Id != "mailhub"));
        Assert.Equal(
            (builtIn.Smtp.MaxConnections, builtIn.Smtp.SessionTimeout, builtIn.Smtp.CommandTimeout, builtIn.Smtp.Banner),
            (shipped.Smtp.MaxConnections, shipped.Smtp.SessionTimeout, shipped.Smtp.CommandTimeout, shipped.Smtp.Banner));
        Assert.Equal(builtIn.Smtp.Limits, shipped.Smtp.Limits);
    }

    private static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Router.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException($"Router.sln not found above {AppContext.BaseDirectory}");
    }
}
