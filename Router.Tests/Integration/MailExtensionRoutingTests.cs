using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23 over real sockets: mail that needs SMTPUTF8 or 8BITMIME goes only to a firewall whose EHLO offers it, the
/// one that does is preferred within a tier, and where no firewall of any allowed tier offers it the recipients fail
/// with a DSN (5.6.7, 5.6.3): never downgraded, never converted. The fake firewalls offer exactly the EHLO keywords given.
/// </summary>
public sealed class MailExtensionRoutingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Firewall(FakeFirewall firewall) => $$"""{{firewall.Name}} { host = "127.0.0.1", port = {{firewall.Port}} }""";

    /// <summary>example.net goes through "first" (cost 1) or, failing it, "second"; corp.example, where senders live, to the hub.</summary>
    private static Task<TestRouter> StartAsync(FakeFirewall hub, string first, string second, params FakeFirewall[] firewalls) => TestRouter.StartAsync($$"""
        firewalls {
          {{Firewall(hub)}}
          {{string.Join("\n", firewalls.Select(Firewall))}}
        }
        connectors {
          {{first}}
          {{second}}
          internal { address-spaces = ["corp.example;1"], firewalls = [hub] }
        }
        """);

    private static string Unfolded(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    private static async Task<string> SendAsync(TestRouter router, string mail, string rcpt, string content)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync(mail, Encoding.UTF8));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync(rcpt, Encoding.UTF8));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        var reply = await session.ReplyAsync(content + ".", Encoding.UTF8);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        return reply;
    }

    [Fact]
    public async Task Within_a_tier_mail_that_needs_smtputf8_goes_only_to_the_firewall_that_offers_it()
    {
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var plain = await FakeFirewall.StartAsync("fw-plain", FirewallSecurity.None, ["PIPELINING", "8BITMIME"]);
        await using var eai = await FakeFirewall.StartAsync("fw-eai", FirewallSecurity.None, ["PIPELINING", "8BITMIME", "SMTPUTF8"]);
        await using var router = await StartAsync(hub,
            """a { address-spaces = ["example.net;1"], firewalls = [fw-plain] }""",
            """b { address-spaces = ["example.net;1"], firewalls = [fw-eai] }""", plain, eai);

        const int count = 6;
        for (var i = 0; i < count; i++)
            await SendAsync(router, "MAIL FROM:<alice@corp.example> SMTPUTF8", "RCPT TO:<bob@example.net>", $"Subject: Grüße {i}\r\n\r\nHallo.\r\n");

        await eai.WaitForCountAsync(count, Wait);
        Assert.All(eai.Messages, m => Assert.True(m.MailParameters.ContainsKey("SMTPUTF8")));
        Assert.All(eai.Messages, m => Assert.Contains("Subject: Grüße ", Encoding.UTF8.GetString(m.Data)));
        // Never downgraded: the firewall without SMTPUTF8 did not get so much as a MAIL FROM, and no DSN went out.
        Assert.Equal(0, plain.MailCommands);
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task A_utf8_recipient_no_firewall_of_any_tier_offers_smtputf8_for_bounces_with_5_6_7_naming_them_all()
    {
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var first = await FakeFirewall.StartAsync("fw-first", FirewallSecurity.None, ["PIPELINING", "8BITMIME"]);
        await using var second = await FakeFirewall.StartAsync("fw-second", FirewallSecurity.None, ["8BITMIME", "REQUIRETLS"]);
        await using var router = await StartAsync(hub,
            """a { address-spaces = ["xn--bcher-kva.example;1"], firewalls = [fw-first] }""",
            """b { address-spaces = ["xn--bcher-kva.example;5"], firewalls = [fw-second] }""", first, second);

        await SendAsync(router, "MAIL FROM:<alice@corp.example> SMTPUTF8", "RCPT TO:<müller@bücher.example>", "Subject: hello\r\n\r\nbody\r\n");

        await hub.WaitForCountAsync(1, Wait);
        var dsn = hub.Messages[0];
        Assert.Equal(string.Empty, dsn.MailFrom);
        var report = Encoding.UTF8.GetString(dsn.Data);
        Assert.Contains("Status: 5.6.7", report);
        Assert.Contains("Action: failed", report);
        // The text part folds long lines: compare with runs of white space made one space.
        Assert.Contains("fw-first does not offer SMTPUTF8, fw-second does not offer SMTPUTF8", Unfolded(report));
        Assert.Equal(0, first.MailCommands);
        Assert.Equal(0, second.MailCommands);
    }

    [Fact]
    public async Task An_eight_bit_body_skips_a_tier_without_8bitmime_and_arrives_byte_for_byte_at_one_with_it()
    {
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var sevenBit = await FakeFirewall.StartAsync("fw-7bit", FirewallSecurity.None, ["PIPELINING"]);
        await using var eightBit = await FakeFirewall.StartAsync("fw-8bit", FirewallSecurity.None, ["PIPELINING", "8BITMIME"]);
        await using var router = await StartAsync(hub,
            """a { address-spaces = ["example.net;1"], firewalls = [fw-7bit] }""",
            """b { address-spaces = ["example.net;5"], firewalls = [fw-8bit] }""", sevenBit, eightBit);
        const string content = "Subject: caf\u00e9\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nd\u00e9j\u00e0 vu\r\n";

        await SendAsync(router, "MAIL FROM:<alice@corp.example> BODY=8BITMIME", "RCPT TO:<bob@example.net>", content);

        await eightBit.WaitForCountAsync(1, Wait);
        var original = Encoding.UTF8.GetBytes(content);
        Assert.Equal(original, eightBit.Messages[0].Data[^original.Length..]);
        Assert.Equal("8BITMIME", eightBit.Messages[0].MailParameters["BODY"]);
        Assert.Equal(0, sevenBit.MailCommands);
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task An_eight_bit_body_for_firewalls_without_8bitmime_bounces_with_5_6_3_and_is_not_converted()
    {
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var sevenBit = await FakeFirewall.StartAsync("fw-7bit", FirewallSecurity.None, ["PIPELINING", "SMTPUTF8"]);
        await using var router = await StartAsync(hub,
            """a { address-spaces = ["example.net;1"], firewalls = [fw-7bit] }""", string.Empty, sevenBit);

        await SendAsync(router, "MAIL FROM:<alice@corp.example> BODY=8BITMIME", "RCPT TO:<bob@example.net>", "Subject: x\r\n\r\nd\u00e9j\u00e0 vu\r\n");

        await hub.WaitForCountAsync(1, Wait);
        var report = Encoding.UTF8.GetString(hub.Messages[0].Data);
        Assert.Contains("Status: 5.6.3", report);
        Assert.Contains("fw-7bit does not offer 8BITMIME", Unfolded(report));
        Assert.Equal(0, sevenBit.MailCommands);
        Assert.Equal(0, sevenBit.Count);
    }

    [Fact]
    public async Task An_all_ascii_body_declared_8bitmime_goes_to_a_firewall_without_8bitmime_unchanged()
    {
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var sevenBit = await FakeFirewall.StartAsync("fw-7bit", FirewallSecurity.None, ["PIPELINING"]);
        await using var router = await StartAsync(hub,
            """a { address-spaces = ["example.net;1"], firewalls = [fw-7bit] }""", string.Empty, sevenBit);
        const string content = "Subject: plain\r\n\r\nbody\r\n";

        await SendAsync(router, "MAIL FROM:<alice@corp.example> BODY=8BITMIME", "RCPT TO:<bob@example.net>", content);

        await sevenBit.WaitForCountAsync(1, Wait);
        Assert.Equal(Encoding.ASCII.GetBytes(content), sevenBit.Messages[0].Data[^content.Length..]);
        Assert.False(sevenBit.Messages[0].MailParameters.ContainsKey("BODY"));
    }
}
