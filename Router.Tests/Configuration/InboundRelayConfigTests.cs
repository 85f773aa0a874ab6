using System.Net;
using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary>Issue 20 item 5 in the HOCON contract: relay domains, recipient validation and listener blocks, each rejection naming its key.</summary>
public sealed class InboundRelayConfigTests
{
    private static SmtpOptions Smtp(string smtp = "") =>
        RouterConfig.ToOptions(RouterConfig.Parse(ConfigSamples.MinimalWith($"router.smtp {{ {smtp} }}"))).Smtp;

    private static string Reject(string smtp) => Assert.Throws<RouterConfigException>(() => Smtp(smtp)).Message;

    [Fact]
    public void Defaults_are_one_default_listener_without_relay_domains_or_validation()
    {
        var smtp = Smtp();
        Assert.Empty(smtp.Relay.Domains);
        Assert.False(smtp.Relay.RequireAuth);
        Assert.False(smtp.Relay.Recipients.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(10), smtp.Relay.Recipients.CalloutTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), smtp.Relay.Recipients.CalloutCache);
        Assert.Empty(smtp.Listeners);
        var only = Assert.Single(smtp.EffectiveListeners);
        Assert.Equal((SmtpOptions.DefaultListener, smtp.Listen), (only.Name, only.Listen));
        Assert.Same(smtp.Relay, only.Relay);
    }

    [Fact]
    public void Relay_domains_recipients_and_callout_are_read_and_normalised()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["# valid mailboxes", "Carol@Corp.Example", "", "@sales.corp.example  # every address"]);
            var relay = Smtp($$"""
                relay {
                  domains = ["Corp.Example", "*.corp.example"]
                  recipients = ["alice@corp.example"]
                  recipients-file = "{{file.Replace("\\", "\\\\")}}"
                  callout = "127.0.0.1:2526"
                  callout-timeout = 3s
                  callout-cache = 0s
                }
                """).Relay;
            Assert.Equal(["corp.example", "*.corp.example"], relay.Domains.Select(d => d.Pattern));
            Assert.True(relay.IsRelayDomain("a.corp.example"));
            Assert.False(relay.IsRelayDomain("notcorp.example"));
            Assert.Equal(["@sales.corp.example", "alice@corp.example", "carol@corp.example"], relay.Recipients.Addresses!.Order());
            Assert.Equal(new DnsEndPoint("127.0.0.1", 2526), relay.Recipients.Callout);
            Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.Zero), (relay.Recipients.CalloutTimeout, relay.Recipients.CalloutCache));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Listener_blocks_override_what_they_set_and_inherit_the_rest()
    {
        var hash = Router.Actors.Ingress.Auth.PasswordHash.Create("secret", Router.Actors.Ingress.Auth.PasswordHash.MinIterations);
        var smtp = Smtp($$"""
            auth.users { alice = "{{hash}}" }
            relay { domains = ["corp.example"], recipients = ["alice@corp.example"] }
            listeners {
              inbound { listen = ["127.0.0.1:2525"], relay.allowed-networks = [] }
              submission { listen = ["127.0.0.1:2587"], auth.required = on, relay.domains = [] }
              other { listen = ["127.0.0.1:2588"], relay.recipients = [] }
            }
            """);
        Assert.Equal(["inbound", "submission", "other"], smtp.EffectiveListeners.Select(l => l.Name));
        var inbound = smtp.Listeners[0];
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:2525")], inbound.Listen);
        Assert.Empty(inbound.Relay.AllowedNetworks);
        Assert.Equal(["corp.example"], inbound.Relay.Domains.Select(d => d.Pattern));
        Assert.Equal(["alice@corp.example"], inbound.Relay.Recipients.Addresses!);
        Assert.False(inbound.Relay.RequireAuth);
        var submission = smtp.Listeners[1];
        Assert.True(submission.Relay.RequireAuth);
        Assert.Equal(smtp.Relay.AllowedNetworks, submission.Relay.AllowedNetworks);
        Assert.Empty(submission.Relay.Domains);
        // Inherited but unused: a listener without relay domains validates no recipient.
        Assert.True(submission.Relay.Recipients.Enabled);
        Assert.False(smtp.Listeners[2].Relay.Recipients.Enabled);
        Assert.Equal(["corp.example"], smtp.Listeners[2].Relay.Domains.Select(d => d.Pattern));
    }

    [Theory]
    [InlineData("relay.domains = [\"*\"]", "router.smtp.relay.domains[0]: ")]
    [InlineData("relay.domains = [\"*.\"]", "router.smtp.relay.domains[0]: ")]
    [InlineData("relay { domains = [\"corp.example\"], recipients = [\"not an address\"] }", "router.smtp.relay.recipients[0]: ")]
    [InlineData("relay.recipients = [\"a@corp.example\"]", "router.smtp.relay.recipients: ")]
    [InlineData("relay { domains = [\"corp.example\"], recipients-file = \"/nonexistent/recipients\" }", "router.smtp.relay.recipients-file: ")]
    [InlineData("relay { domains = [\"corp.example\"], callout = \"internal\" }", "router.smtp.relay.callout: ")]
    [InlineData("relay { domains = [\"corp.example\"], callout = \"internal:99999\" }", "router.smtp.relay.callout: ")]
    [InlineData("relay.callout-timeout = 0s", "router.smtp.relay.callout-timeout: ")]
    [InlineData("relay.callout-cache = -1s", "router.smtp.relay.callout-cache: ")]
    [InlineData("auth.required = on", "router.smtp.auth.required: ")]
    [InlineData("listeners { inbound { relay.domains = [\"corp.example\"] } }", "router.smtp.listeners.inbound.listen: ")]
    [InlineData("listeners { inbound { listen = [\"127.0.0.1:2525\"], max-recipients = 5 } }", "router.smtp.listeners.inbound.max-recipients: ")]
    [InlineData("listeners { inbound { listen = [\"127.0.0.1:2525\"], relay.domain = [] } }", "router.smtp.listeners.inbound.relay.domain: ")]
    [InlineData("listeners { Inbound { listen = [\"127.0.0.1:2525\"] } }", "router.smtp.listeners.Inbound: ")]
    [InlineData("listeners { a { listen = [\"127.0.0.1:2525\"] }\n b { listen = [\"127.0.0.1:2525\"] } }", "router.smtp.listeners.b.listen: ")]
    [InlineData("listeners { a { listen = [\"127.0.0.1:2525\"], auth.required = on } }", "router.smtp.listeners.a.auth.required: ")]
    [InlineData("listeners { a { listen = [\"127.0.0.1:2525\"], relay.callout = \"10.0.0.5:25\" } }", "router.smtp.listeners.a.relay.callout: ")]
    public void Each_mistake_is_refused_naming_its_key(string smtp, string key) =>
        Assert.Contains(key, Reject(smtp));
}
