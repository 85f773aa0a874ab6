using System.Net;
using System.Text;
using MimeKit;
using Router.Actors.Configuration;
using Router.Testing;
using Router.Testing.Dns;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Dns;

/// <summary>
/// Issue 20 item 4, the MX connector: mail goes to each recipient domain's MX hosts as a real DNS server on loopback
/// names them, each host a real SMTP server on its own 127.0.0.x address (one shared port, <c>mx-port</c>).
/// </summary>
public sealed class MxConnectorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task SendAsync(TestRouter router, byte[] data, params string[] to)
    {
        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        await client.SendAsync(TestMail.Format, TestMail.Load(data), MailboxAddress.Parse("alice@corp.example"), to.Select(MailboxAddress.Parse));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Mail_goes_to_the_most_preferred_mx_hosts_spread_and_to_the_backup_only_when_they_are_down()
    {
        await using var dns = TestDnsServer.Start();
        var hosts = await FakeFirewall.StartSharingPortAsync("mx", 3);
        await using var mx1 = hosts[0];
        await using var mx2 = hosts[1];
        await using var backup = hosts[2];
        dns.SetMx("alpha.test", TimeSpan.FromSeconds(300), (10, "mx1.alpha.test"), (10, "mx2.alpha.test"), (20, "backup.alpha.test"));
        dns.SetAddresses("mx1.alpha.test", TimeSpan.FromSeconds(300), mx1.Address);
        dns.SetAddresses("mx2.alpha.test", TimeSpan.FromSeconds(300), mx2.Address);
        dns.SetAddresses("backup.alpha.test", TimeSpan.FromSeconds(300), backup.Address);
        await using var router = await TestRouter.StartAsync($$"""
            dns { servers = ["{{dns.EndPoint}}"] }
            connectors { internet { address-spaces = ["*;10"], mx = on, mx-port = {{mx1.Port}} } }
            """);

        var first = Enumerable.Range(0, 20).Select(i => TestMail.Build($"mx-{i:D2}", to: "user@alpha.test")).ToList();
        await TestMail.SendAsync(router.Smtp, first, to: "user@alpha.test");
        await BlackholeShapeTests.AssertEachArrivedOnceAsync(first, mx1, mx2);
        Assert.True(mx1.Count > 0 && mx2.Count > 0, $"preference 10 not spread: mx1 {mx1.Count}, mx2 {mx2.Count}");
        Assert.Equal(0, backup.Count);
        // The firewalls the connector made are listed with the configured ones (router cmd firewall).
        var admin = router.Node.AdminEndpoint!;
        using (var http = new HttpClient { BaseAddress = new Uri($"http://{admin.Address}:{admin.Port}/") })
        {
            var listed = await http.GetStringAsync("api/firewalls");
            Assert.Contains("internet:mx1.alpha.test@127.0.0.2", listed);
            Assert.Contains("internet:mx2.alpha.test@127.0.0.3", listed);
            Assert.Contains("mx1.alpha.test", await http.GetStringAsync($"api/firewalls/{Uri.EscapeDataString("internet:mx1.alpha.test@127.0.0.2")}"));
            // The connector lists them as its firewalls (the dashboard draws a connector's firewalls from this).
            Assert.Contains("internet:mx2.alpha.test@127.0.0.3", await http.GetStringAsync("api/connectors"));
        }

        // Both preferred hosts die: the backup (preference 20) takes the domain's mail.
        await mx1.StopAsync();
        await mx2.StopAsync();
        var second = Enumerable.Range(0, 10).Select(i => TestMail.Build($"mx-backup-{i:D2}", to: "user@alpha.test")).ToList();
        await TestMail.SendAsync(router.Smtp, second, to: "user@alpha.test");
        await BlackholeShapeTests.AssertEachArrivedOnceAsync(second, backup);
    }

    [Fact]
    public async Task Each_domain_of_a_message_goes_to_its_own_mx_a_domain_without_mx_to_its_address_and_a_missing_or_null_mx_domain_bounces()
    {
        await using var dns = TestDnsServer.Start();
        var hosts = await FakeFirewall.StartSharingPortAsync("mx", 2);
        await using var alphaMx = hosts[0];
        await using var beta = hosts[1];
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        dns.SetMx("alpha.test", TimeSpan.FromSeconds(300), (10, "mx.alpha.test"));
        dns.SetAddresses("mx.alpha.test", TimeSpan.FromSeconds(300), alphaMx.Address);
        // beta.test has no MX record: its own address is its mail host (implicit MX).
        dns.SetAddresses("beta.test", TimeSpan.FromSeconds(300), beta.Address);
        // nomail.test says it takes no mail (RFC 7505); missing.test does not exist.
        dns.SetMx("nomail.test", TimeSpan.FromSeconds(300), (0, "."));
        await using var router = await TestRouter.StartAsync($$"""
            dns { servers = ["{{dns.EndPoint}}"] }
            firewalls { mailhub { host = "127.0.0.1", port = {{hub.Port}} } }
            connectors {
              internet { address-spaces = ["*;10"], mx = on, mx-port = {{alphaMx.Port}} }
              internal { address-spaces = ["corp.example;1"], firewalls = [mailhub] }
            }
            """);

        await SendAsync(router, TestMail.Build("mixed"), "a@alpha.test", "b@beta.test", "c@missing.test", "d@nomail.test");

        await alphaMx.WaitForCountAsync(1, Deadline);
        await beta.WaitForCountAsync(1, Deadline);
        Assert.Equal(["a@alpha.test"], alphaMx.Messages.Single().Recipients);
        Assert.Equal(["b@beta.test"], beta.Messages.Single().Recipients);
        // One DSN per failed part, or one for both: whichever, both recipients are reported.
        string Reports() => string.Join("\n", hub.Messages.Select(m => Encoding.UTF8.GetString(m.Data)));
        await Eventually.TrueAsync(() => Reports().Contains("c@missing.test") && Reports().Contains("d@nomail.test"), Deadline,
            () => $"the DSNs so far: {Reports()}");
        var dsn = Reports();
        Assert.Contains("Status: 5.1.2", dsn);
        Assert.Contains("c@missing.test", dsn);
        Assert.Contains("Status: 5.1.10", dsn);
        Assert.Contains("d@nomail.test", dsn);
    }

    [Fact]
    public async Task A_utf8_recipient_whose_mx_hosts_lack_smtputf8_bounces_with_5_6_7_and_is_never_downgraded()
    {
        await using var dns = TestDnsServer.Start();
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        await using var plain = await FakeFirewall.StartAsync("mx-plain", IPAddress.Parse("127.0.0.2"), 0, extensions: ["PIPELINING", "8BITMIME"]);
        // The MX of the internationalised domain is looked up by its A-label form.
        dns.SetMx("xn--bcher-kva.test", TimeSpan.FromSeconds(300), (10, "mx.xn--bcher-kva.test"));
        dns.SetAddresses("mx.xn--bcher-kva.test", TimeSpan.FromSeconds(300), plain.Address);
        await using var router = await TestRouter.StartAsync($$"""
            dns { servers = ["{{dns.EndPoint}}"] }
            firewalls { mailhub { host = "127.0.0.1", port = {{hub.Port}} } }
            connectors {
              internet { address-spaces = ["*;10"], mx = on, mx-port = {{plain.Port}} }
              internal { address-spaces = ["corp.example;1"], firewalls = [mailhub] }
            }
            """);

        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (session)
        {
            Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<alice@corp.example> SMTPUTF8", Encoding.UTF8));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<müller@bücher.test>", Encoding.UTF8));
            Assert.StartsWith("354", await session.ReplyAsync("DATA"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: Grüße\r\n\r\nHallo.\r\n.", Encoding.UTF8));
        }

        await hub.WaitForCountAsync(1, Deadline);
        var report = Encoding.UTF8.GetString(hub.Messages[0].Data);
        Assert.Contains("Status: 5.6.7", report);
        Assert.Contains("does not offer SMTPUTF8", report);
        // Never downgraded: the host without SMTPUTF8 took no message (it was asked at most for its EHLO).
        Assert.Equal(0, plain.Count);
    }

    [Fact]
    public void An_mx_connector_takes_no_firewalls_and_mx_port_needs_mx()
    {
        var error = Assert.Throws<RouterConfigException>(() => RouterConfig.ToOptions(RouterConfig.Parse("""
            router {
              firewalls { fw { host = "127.0.0.1" } }
              connectors {
                internet { address-spaces = ["*;10"], mx = on, firewalls = [fw] }
                other { address-spaces = ["a.example;1"], firewalls = [fw], mx-port = 2525 }
              }
            }
            """)));
        var text = string.Join("\n", error.Errors);
        Assert.Contains("router.connectors.internet.firewalls", text);
        Assert.Contains("router.connectors.other.mx-port", text);
        var options = RouterConfig.ToOptions(RouterConfig.Parse("""
            router { connectors { internet { address-spaces = ["*;10"], mx = on } } }
            """));
        Assert.Equal(25, options.Connectors.Single().Mx!.Port);
        Assert.Empty(options.Connectors.Single().FirewallIds);
    }

    [Fact]
    public void A_reload_that_turns_a_connector_into_an_mx_connector_or_changes_its_port_makes_it_again()
    {
        RouterOptions Options(string internet) => RouterConfig.ToOptions(RouterConfig.Parse($$"""
            router {
              firewalls { fw { host = "127.0.0.1" } }
              connectors { internet { {{internet}} } }
            }
            """));
        var plain = Options("""address-spaces = ["*;10"], firewalls = [fw]""");
        var mx = Options("""address-spaces = ["*;10"], mx = on""");
        var otherPort = Options("""address-spaces = ["*;10"], mx = on, mx-port = 2525""");

        foreach (var (before, after) in new[] { (plain, mx), (mx, otherPort), (mx, plain) })
        {
            var diff = ConfigDiff.Between(before, after);
            Assert.Equal(["internet"], diff.ConnectorsRemoved);
            Assert.Equal(["internet"], diff.ConnectorsAdded);
            Assert.Empty(diff.ConnectorsChanged);
        }
        Assert.Empty(ConfigDiff.Between(mx, mx).ConnectorsAdded);
    }
}
