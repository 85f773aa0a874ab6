using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23: SMTPUTF8 (RFC 6531) at the edge and end to end. UTF-8 addresses are taken with the
/// SMTPUTF8 parameter only, routed on the domain's A-label form, relayed byte for byte to a
/// firewall that offers SMTPUTF8, and bounced with a DSN (5.6.7, or 5.6.9 for UTF-8 headers only)
/// where the firewall does not: never downgraded.
/// </summary>
public sealed class Smtputf8Tests
{
    private const string Recipient = "müller@bücher.example";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>bücher.example (written as its A-label) goes to <paramref name="idn"/>; corp.example, where senders live, to <paramref name="hub"/>.</summary>
    private static Task<TestRouter> StartAsync(RawSmtpSink idn, FakeFirewall hub) => TestRouter.StartAsync($$"""
        firewalls {
          eai { host = "127.0.0.1", port = {{idn.Port}} }
          hub { host = "127.0.0.1", port = {{hub.Port}} }
        }
        connectors {
          idn { address-spaces = ["xn--bcher-kva.example;1", "eai.example;1"], firewalls = [eai] }
          internal { address-spaces = ["corp.example;1"], firewalls = [hub] }
        }
        """);

    private static async Task<string> SendAsync(TestRouter router, string mail, string rcpt, string content)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync(mail, Encoding.UTF8));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync(rcpt, Encoding.UTF8));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        return await session.ReplyAsync(content + ".", Encoding.UTF8);
    }

    [Fact]
    public async Task A_utf8_address_without_smtputf8_on_mail_gets_553_5_6_7()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME", "SMTPUTF8");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<alice@corp.example>"));
        Assert.Equal("553 5.6.7 Non-ASCII addresses need MAIL FROM with the SMTPUTF8 parameter", await session.ReplyAsync($"RCPT TO:<{Recipient}>", Encoding.UTF8));
        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        Assert.Equal("553 5.6.7 Non-ASCII addresses need MAIL FROM with the SMTPUTF8 parameter", await session.ReplyAsync("MAIL FROM:<jürgen@corp.example>", Encoding.UTF8));
    }

    [Fact]
    public async Task With_smtputf8_a_domain_with_no_a_label_form_or_bytes_that_are_not_utf8_are_refused_as_bad_syntax()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME", "SMTPUTF8");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<alice@corp.example> SMTPUTF8"));
        // Sixty ü make an A-label longer than the 63 octets a label may have (RFC 1035 §2.3.4).
        Assert.Equal("501 5.1.3 Bad recipient address syntax", await session.ReplyAsync($"RCPT TO:<müller@{new string('ü', 60)}.example>", Encoding.UTF8));
        // Latin-1 bytes are not UTF-8.
        Assert.Equal("501 5.1.3 Bad recipient address syntax", await session.ReplyAsync("RCPT TO:<müller@bücher.example>", Encoding.Latin1));
    }

    [Fact]
    public async Task A_utf8_recipient_with_smtputf8_is_routed_on_its_a_label_and_relayed_byte_for_byte_to_a_firewall_that_offers_smtputf8()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME", "SMTPUTF8");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);
        const string content = "From: Jürgen <jürgen@corp.example>\r\nTo: Müller <müller@bücher.example>\r\nSubject: Grüße\r\n\r\nHallo, Müller.\r\n";

        Assert.StartsWith("250 2.0.0 Ok: queued as ", await SendAsync(router, "MAIL FROM:<jürgen@corp.example> SMTPUTF8", $"RCPT TO:<{Recipient}>", content));

        var relayed = await sink.NextAsync(Wait);
        Assert.StartsWith("MAIL FROM:<jürgen@corp.example> SMTPUTF8", relayed.MailLine);
        Assert.Equal([$"RCPT TO:<{Recipient}>"], relayed.RcptLines);
        var original = Encoding.UTF8.GetBytes(content);
        Assert.Equal(original, relayed.Data[^original.Length..]);
        var received = Encoding.UTF8.GetString(relayed.Data[..^original.Length]);
        Assert.StartsWith("Received: ", received);
        Assert.Contains(" with UTF8SMTP id ", received);
        Assert.Contains($"for <{Recipient}>", received);
    }

    [Fact]
    public async Task A_utf8_recipient_for_a_firewall_without_smtputf8_bounces_with_5_6_7_and_nothing_is_sent_there()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);

        await SendAsync(router, "MAIL FROM:<alice@corp.example> SMTPUTF8", $"RCPT TO:<{Recipient}>", "Subject: hello\r\n\r\nbody\r\n");

        await hub.WaitForCountAsync(1, Wait);
        var dsn = hub.Messages[0];
        Assert.Equal(string.Empty, dsn.MailFrom);
        var report = Encoding.UTF8.GetString(dsn.Data);
        Assert.Contains("Status: 5.6.7", report);
        Assert.Contains("eai does not offer SMTPUTF8", report);
        Assert.Equal(0, sink.Transactions);
    }

    [Fact]
    public async Task Utf8_headers_alone_for_a_firewall_without_smtputf8_bounce_with_5_6_9()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);

        await SendAsync(router, "MAIL FROM:<alice@corp.example> SMTPUTF8", "RCPT TO:<bob@eai.example>", "Subject: Grüße\r\n\r\nbody\r\n");

        await hub.WaitForCountAsync(1, Wait);
        Assert.Contains("Status: 5.6.9", Encoding.UTF8.GetString(hub.Messages[0].Data));
        Assert.Equal(0, sink.Transactions);
    }

    [Fact]
    public async Task An_all_ascii_message_sent_with_smtputf8_goes_unchanged_to_a_firewall_without_it()
    {
        await using var sink = RawSmtpSink.Start("8BITMIME");
        await using var hub = await FakeFirewall.StartAsync("hub");
        await using var router = await StartAsync(sink, hub);
        const string content = "Subject: plain\r\n\r\nbody\r\n";

        await SendAsync(router, "MAIL FROM:<alice@corp.example> SMTPUTF8", "RCPT TO:<bob@eai.example>", content);

        var relayed = await sink.NextAsync(Wait);
        Assert.DoesNotContain("SMTPUTF8", relayed.MailLine);
        Assert.Equal(["RCPT TO:<bob@eai.example>"], relayed.RcptLines);
        Assert.Equal(Encoding.ASCII.GetBytes(content), relayed.Data[^content.Length..]);
    }
}
