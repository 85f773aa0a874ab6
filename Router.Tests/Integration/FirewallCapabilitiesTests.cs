using Router.Testing;
using Router.Testing.Smtp;
using System.Net.Http.Json;
using System.Text;
using Router.Node.Admin;

namespace Router.Tests.Integration;

/// <summary>Issue 23: each firewall's EHLO capabilities are learnt from its sessions and shown by GET /api/firewalls/{id} (router cmd firewall).</summary>
public sealed class FirewallCapabilitiesTests
{
    [Fact]
    public async Task A_firewalls_ehlo_capabilities_are_learnt_and_shown_by_the_admin_api()
    {
        await using var sink = RawSmtpSink.Start("PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN", "SIZE 1000000", "REQUIRETLS");
        await using var router = await TestRouter.StartAsync($$"""
            firewalls { eai { host = "127.0.0.1", port = {{sink.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [eai] } }
            """);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{router.Node.AdminEndpoint}/") };

        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (session)
            Assert.StartsWith("250", await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"], "Subject: caps\r\n\r\nbody"));
        await sink.NextAsync(TimeSpan.FromSeconds(30));

        FirewallView? view = null;
        await Eventually.TrueAsync(async () =>
        {
            view = await http.GetFromJsonAsync<FirewallView>("api/firewalls/eai", AdminJson.Options);
            return view?.Capabilities is not null;
        }, TimeSpan.FromSeconds(10), () => $"capabilities still unknown: {view}");
        Assert.Equal(["SMTPUTF8", "8BITMIME", "CHUNKING", "DSN", "SIZE 1000000", "REQUIRETLS"], view!.Capabilities);
    }
}
