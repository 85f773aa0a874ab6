using System.Net;
using System.Net.Sockets;
using System.Text;
using Router.Actors.Ingress.Auth;
using Router.Node.Admin;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 20 item 5: a listener block's own STARTTLS, AUTH, size and session limits.</summary>
public sealed partial class InboundRelayTests
{
    [Fact]
    public async Task A_listener_block_can_require_starttls_and_allow_auth_in_clear_text_while_the_other_does_not()
    {
        using var certificate = Router.Testing.Tls.TestCertificate.Create();
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, $$"""
            {{certificate.PemSettings()}}
            auth.users { alice = "{{Hash}}" }
            listeners {
              inbound {
                listen = ["127.0.0.1:0"]
                relay { allowed-networks = [], domains = ["corp.example"] }
                auth.allow-insecure = on
              }
              submission { listen = ["127.0.0.1:0"], tls.required = on }
            }
            """);
        var listeners = await router.Node.SmtpListenersAsync();

        // submission wants STARTTLS before MAIL and before AUTH, and then takes both.
        var (submission, _) = await RawSmtpSession.OpenAsync(Assert.Single(listeners["submission"]));
        using (submission)
        {
            await submission.SendAsync("EHLO laptop.test");
            Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await submission.ReplyAsync("MAIL FROM:<alice@corp.example>"));
            Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await submission.ReplyAsync($"AUTH PLAIN {Plain("alice", Password)}"));
            await submission.StartTlsAsync();
            await submission.SendAsync("EHLO laptop.test");
            Assert.StartsWith("235 2.7.0 ", await submission.ReplyAsync($"AUTH PLAIN {Plain("alice", Password)}"));
            Assert.StartsWith("250", await submission.ReplyAsync("MAIL FROM:<alice@corp.example>"));
        }

        // inbound takes MAIL in clear text (internet servers that cannot do TLS), and here even AUTH.
        var (inbound, _) = await RawSmtpSession.OpenAsync(Assert.Single(listeners["inbound"]));
        using (inbound)
        {
            await inbound.SendAsync("EHLO mx.internet.test");
            Assert.StartsWith("235 2.7.0 ", await inbound.ReplyAsync($"AUTH PLAIN {Plain("alice", Password)}"));
            Assert.StartsWith("250", await inbound.ReplyAsync("MAIL FROM:<someone@internet.test>"));
        }
    }

    [Fact]
    public async Task A_listener_block_can_take_smaller_messages_than_the_others()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, """
            listeners {
              inbound { listen = ["127.0.0.1:0"] }
              small { listen = ["127.0.0.1:0"], max-message-size = 2 KiB }
            }
            """);
        var listeners = await router.Node.SmtpListenersAsync();
        var body = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 70) + "\r\n", 50)) + ".";

        var (small, _) = await RawSmtpSession.OpenAsync(Assert.Single(listeners["small"]));
        using (small)
        {
            Assert.Contains("SIZE 2048", string.Join("\n", await small.SendAsync("EHLO client.test")));
            Assert.StartsWith("552 5.3.4", await small.ReplyAsync("MAIL FROM:<a@corp.example> SIZE=3000"));
            Assert.StartsWith("250", await small.ReplyAsync("MAIL FROM:<a@corp.example>"));
            Assert.StartsWith("250", await small.ReplyAsync("RCPT TO:<b@elsewhere.example>"));
            Assert.StartsWith("354", await small.ReplyAsync("DATA"));
            Assert.StartsWith("552 5.3.4", await small.ReplyAsync(body));
        }

        var (inbound, _) = await RawSmtpSession.OpenAsync(Assert.Single(listeners["inbound"]));
        using (inbound)
        {
            Assert.DoesNotContain("SIZE 2048", string.Join("\n", await inbound.SendAsync("EHLO client.test")));
            Assert.StartsWith("250", await inbound.ReplyAsync("MAIL FROM:<a@corp.example> SIZE=3000"));
            Assert.StartsWith("250", await inbound.ReplyAsync("RCPT TO:<b@elsewhere.example>"));
            Assert.StartsWith("354", await inbound.ReplyAsync("DATA"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", await inbound.ReplyAsync(body));
        }
    }

    [Fact]
    public async Task A_listener_blocks_own_max_connections_turns_away_its_extra_sessions_and_not_the_other_listeners()
    {
        await using var corp = await FakeFirewall.StartAsync("internal");
        await using var outbound = await FakeFirewall.StartAsync("fw-out");
        await using var router = await StartAsync(corp, outbound, """
            listeners {
              inbound { listen = ["127.0.0.1:0"] }
              small { listen = ["127.0.0.1:0"], max-connections = 1 }
            }
            """);
        var listeners = await router.Node.SmtpListenersAsync();
        var smallEndpoint = Assert.Single(listeners["small"]);

        var (first, firstGreeting) = await RawSmtpSession.OpenAsync(smallEndpoint);
        Assert.StartsWith("220", firstGreeting);
        var (second, secondGreeting) = await RawSmtpSession.OpenAsync(smallEndpoint);
        using (second)
            Assert.Equal("421 4.7.0 Too many connections, try again later", secondGreeting);
        var (other, otherGreeting) = await RawSmtpSession.OpenAsync(Assert.Single(listeners["inbound"]));
        using (other)
            Assert.StartsWith("220", otherGreeting);

        // The first session ends: its slot is free again.
        using (first)
            Assert.StartsWith("221", await first.ReplyAsync("QUIT"));
        string greeting = "";
        await Eventually.TrueAsync(async () =>
        {
            var (again, text) = await RawSmtpSession.OpenAsync(smallEndpoint);
            using (again)
                greeting = text;
            return greeting.StartsWith("220", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), () => $"the small listener still answers {greeting}");
    }

    [Fact]
    public void A_listener_cannot_require_starttls_without_a_certificate_and_a_reload_cannot_change_it()
    {
        var error = Assert.Throws<Router.Actors.Configuration.RouterConfigException>(() => Router.Actors.Configuration.RouterConfig.ToOptions(
            Router.Actors.Configuration.RouterConfig.Parse("""
                router {
                  smtp.listeners { submission { listen = ["127.0.0.1:0"], tls.required = on } }
                  firewalls { fw { host = "127.0.0.1" } }
                  connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
                }
                """)));
        Assert.Contains("router.smtp.listeners.submission.tls.required", string.Join("\n", error.Errors));

        using var certificate = Router.Testing.Tls.TestCertificate.Create();
        Router.Actors.Configuration.RouterOptions Options(string required) => Router.Actors.Configuration.RouterConfig.ToOptions(
            Router.Actors.Configuration.RouterConfig.Parse($$"""
                router {
                  smtp {
                    {{certificate.PemSettings()}}
                    listeners { submission { listen = ["127.0.0.1:0"], tls.required = {{required}} } }
                  }
                  firewalls { fw { host = "127.0.0.1" } }
                  connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
                }
                """));
        var diff = Router.Actors.Configuration.ConfigDiff.Between(Options("off"), Options("on"));
        Assert.Contains(diff.RestartOnly, r => r.Key == "router.smtp.listeners.submission.tls.required");
    }
}
