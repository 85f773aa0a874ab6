using System.Text;
using Akka.Actor;
using MimeKit;
using Router.Messages.Queue;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>Issue 20 over real sockets: pinning to the most specific pattern, fallback = on, and connector restrictions.</summary>
public sealed class ConnectorPolicyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string PartnerAndInternet(FakeFirewall partner, FakeFirewall internet, string partnerKeys = "") => $$"""
        firewalls {
          fw-partner { host = "127.0.0.1", port = {{partner.Port}} }
          fw-net { host = "127.0.0.1", port = {{internet.Port}} }
        }
        connectors {
          partner { address-spaces = ["partner.example;1"], firewalls = [fw-partner] {{partnerKeys}} }
          internet { address-spaces = ["*;1"], firewalls = [fw-net] }
        }
        """;

    private static async Task<string> SendAsync(TestRouter router, byte[] data, string to, string from = "sender@corp.example")
    {
        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(TestMail.Format, TestMail.Load(data), MailboxAddress.Parse(from), [MailboxAddress.Parse(to)]);
        await client.DisconnectAsync(true);
        return reply.Split(' ').Last();
    }

    private static async Task<int> CountAsync(TestRouter router, string state) =>
        (await router.Node.Routing.Ask<QueueListing>(new ListQueue(State: state), TimeSpan.FromSeconds(10))).Entries.Count;

    [Fact]
    public async Task With_its_firewall_down_partner_mail_waits_none_leaves_through_star_and_it_goes_when_the_firewall_is_back()
    {
        await using var partner = await FakeFirewall.StartAsync("fw-partner");
        await using var internet = await FakeFirewall.StartAsync("fw-net");
        partner.Behavior = FirewallBehavior.Refuse;
        await using var router = await TestRouter.StartAsync(PartnerAndInternet(partner, internet));
        var sent = Enumerable.Range(0, 20).Select(i => TestMail.Build($"pin{i:D2}", "bob@partner.example")).ToArray();

        foreach (var data in sent)
            await SendAsync(router, data, "bob@partner.example");

        await Eventually.TrueAsync(() => CountAsync(router, "parked").Result == 20, Deadline,
            () => $"parked {CountAsync(router, "parked").Result} of 20");
        // Mail for another domain still flows through "*", so that route is up: the partner mail was not refused it for lack of a path.
        await SendAsync(router, TestMail.Build("other"), "carol@other.example");
        await internet.WaitForCountAsync(1, Deadline);
        Assert.Equal(["carol@other.example"], internet.Messages.SelectMany(m => m.Recipients));

        partner.Behavior = FirewallBehavior.Accept;
        await partner.WaitForCountAsync(20, Deadline);
        Assert.Equal(sent.Select(TestMail.IdOf).Order(), partner.Messages.Select(m => TestMail.IdOf(m.Data)).Distinct().Order());
        Assert.Equal(1, internet.Count);
    }

    [Fact]
    public async Task With_fallback_on_partner_mail_leaves_through_star_while_its_firewall_is_down()
    {
        await using var partner = await FakeFirewall.StartAsync("fw-partner");
        await using var internet = await FakeFirewall.StartAsync("fw-net");
        partner.Behavior = FirewallBehavior.Refuse;
        await using var router = await TestRouter.StartAsync(PartnerAndInternet(partner, internet, ", fallback = on"));
        var sent = Enumerable.Range(0, 20).Select(i => TestMail.Build($"fb{i:D2}", "bob@partner.example")).ToArray();

        foreach (var data in sent)
            await SendAsync(router, data, "bob@partner.example");

        await internet.WaitForCountAsync(20, Deadline);
        Assert.Equal(sent.Select(TestMail.IdOf).Order(), internet.Messages.Select(m => TestMail.IdOf(m.Data)).Distinct().Order());
        Assert.Equal(0, partner.Count);
    }

    [Fact]
    public async Task A_connector_too_small_is_skipped_and_with_no_connector_left_the_sender_gets_5_3_4_without_any_firewall_seeing_it()
    {
        await using var small = await FakeFirewall.StartAsync("fw-small");
        await using var large = await FakeFirewall.StartAsync("fw-large");
        await using var hub = await FakeFirewall.StartAsync("mailhub");
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-small { host = "127.0.0.1", port = {{small.Port}} }
              fw-large { host = "127.0.0.1", port = {{large.Port}} }
              mailhub { host = "127.0.0.1", port = {{hub.Port}} }
            }
            connectors {
              small { address-spaces = ["partner.example;1", "tiny.example;1"], firewalls = [fw-small], max-message-size = 8 KiB }
              large { address-spaces = ["partner.example;5"], firewalls = [fw-large] }
              internal { address-spaces = ["corp.example;1"], firewalls = [mailhub] }
            }
            """);

        await SendAsync(router, TestMail.Build("fits"), "bob@partner.example");
        await small.WaitForCountAsync(1, Deadline);
        await SendAsync(router, TestMail.Build("too-big", extraBodyBytes: 20_000), "bob@partner.example");
        await large.WaitForCountAsync(1, Deadline);
        await SendAsync(router, TestMail.Build("nowhere", extraBodyBytes: 20_000), "bob@tiny.example", from: "alice@corp.example");

        await hub.WaitForCountAsync(1, Deadline);
        var dsn = Encoding.UTF8.GetString(hub.Messages.Single().Data);
        Assert.Equal(["alice@corp.example"], hub.Messages.Single().Recipients);
        Assert.Contains("Status: 5.3.4", dsn);
        Assert.Contains("bob@tiny.example", dsn);
        Assert.Equal(["fits"], small.Messages.Select(m => TestMail.IdOf(m.Data)));
        Assert.Equal(["too-big"], large.Messages.Select(m => TestMail.IdOf(m.Data)));
    }

    [Fact]
    public async Task Senders_and_reject_senders_pick_the_connector_and_a_sender_no_connector_carries_gets_5_7_1()
    {
        await using var bulk = await FakeFirewall.StartAsync("fw-bulk");
        await using var general = await FakeFirewall.StartAsync("fw-general");
        await using var board = await FakeFirewall.StartAsync("fw-board");
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-bulk { host = "127.0.0.1", port = {{bulk.Port}} }
              fw-general { host = "127.0.0.1", port = {{general.Port}} }
              fw-board { host = "127.0.0.1", port = {{board.Port}} }
            }
            connectors {
              bulk { address-spaces = ["*;1"], firewalls = [fw-bulk], senders = ["marketing.example", "*.marketing.example"] }
              general { address-spaces = ["*;1"], firewalls = [fw-general], reject-senders = ["marketing.example", "*.marketing.example", "blocked.example"] }
              board { address-spaces = ["board.example;1"], firewalls = [fw-board], senders = ["ceo@corp.example"] }
            }
            """);

        for (var i = 0; i < 5; i++)
        {
            await SendAsync(router, TestMail.Build($"news{i}"), $"reader{i}@example.net", from: "news@eu.marketing.example");
            await SendAsync(router, TestMail.Build($"mail{i}"), $"friend{i}@example.net", from: "alice@corp.example");
        }
        await SendAsync(router, TestMail.Build("ceo"), "chair@board.example", from: "CEO@corp.example");
        // Not a sender the board connector carries: it is no candidate, so "*" (general) is the most specific one left.
        await SendAsync(router, TestMail.Build("not-ceo"), "chair@board.example", from: "alice@corp.example");
        // No connector carries this sender at all: a DSN (5.7.1), which has the null sender and goes through general.
        await SendAsync(router, TestMail.Build("blocked"), "someone@example.net", from: "x@blocked.example");

        await bulk.WaitForCountAsync(5, Deadline);
        await board.WaitForCountAsync(1, Deadline);
        await general.WaitForCountAsync(7, Deadline);
        Assert.All(bulk.Messages, m => Assert.Equal("news@eu.marketing.example", m.MailFrom));
        Assert.Equal(["ceo"], board.Messages.Select(m => TestMail.IdOf(m.Data)));
        var dsn = Assert.Single(general.Messages, m => m.MailFrom.Length == 0);
        Assert.Equal(["x@blocked.example"], dsn.Recipients);
        Assert.Contains("Status: 5.7.1", Encoding.UTF8.GetString(dsn.Data));
        Assert.Equal(["mail0", "mail1", "mail2", "mail3", "mail4", "not-ceo"],
            general.Messages.Where(m => m.MailFrom.Length > 0).Select(m => TestMail.IdOf(m.Data)).Order());
    }
}

/// <summary>Issue 20: <c>tls = required</c> on a connector, over firewalls whose own tls is opportunistic.</summary>
public sealed class ConnectorTlsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_connector_demanding_tls_sends_only_over_tls_and_a_firewall_without_it_keeps_its_other_mail_and_its_health()
    {
        using var certificate = TestCertificates.CreateSelfSigned("fw.router.test");
        await using var plain = await FakeFirewall.StartAsync("fw-plain");
        await using var secure = await FakeFirewall.StartAsync("fw-tls", new FirewallSecurity { Certificate = certificate });
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-plain { host = "127.0.0.1", port = {{plain.Port}} }
              fw-tls { host = "127.0.0.1", port = {{secure.Port}} }
            }
            connectors {
              partner { address-spaces = ["partner.example;1"], firewalls = [fw-plain, fw-tls], tls = required }
              internet { address-spaces = ["*;1"], firewalls = [fw-plain] }
            }
            """);
        var events = HealthEvents.Attach(router.Node.System);

        var partnerMail = Enumerable.Range(0, 10).Select(i => TestMail.Build($"tls{i:D2}", "bob@partner.example")).ToArray();
        var otherMail = Enumerable.Range(0, 10).Select(i => TestMail.Build($"net{i:D2}")).ToArray();
        await TestMail.SendAsync(router.Smtp, partnerMail, to: "bob@partner.example");
        await TestMail.SendAsync(router.Smtp, otherMail, to: "carol@example.net");

        await Eventually.TrueAsync(() => secure.Messages.Select(m => TestMail.IdOf(m.Data)).Distinct().Count() == 10, Deadline,
            () => $"fw-tls has {secure.Count} of 10");
        await plain.WaitForCountAsync(10, Deadline);
        Assert.All(secure.Messages, m => Assert.True(m.OverTls));
        Assert.Equal(otherMail.Select(TestMail.IdOf).Order(), plain.Messages.Select(m => TestMail.IdOf(m.Data)).Order());
        // The partner route's demand is not fw-plain's health: it never tripped.
        Assert.DoesNotContain(events.All, e => e.FirewallId == "fw-plain" && e.To == "tripped");
    }
}
