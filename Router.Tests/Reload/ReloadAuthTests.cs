using System.Net;
using System.Text;
using Router.Actors.Ingress.Auth;
using Router.Node.Admin;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;
using Router.Tests.Integration;

namespace Router.Tests.Reload;

/// <summary>Issue 19: AUTH users change with a reload, for the next session, without closing the listener.</summary>
public sealed class ReloadAuthTests
{
    private static string Plain(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    [Fact]
    public async Task A_user_added_by_a_reload_can_authenticate_and_relay_and_a_removed_one_cannot()
    {
        using var certificate = TestCertificate.Create();
        var alice = PasswordHash.Create("alice-secret", PasswordHash.MinIterations).ToString();
        var bob = PasswordHash.Create("bob-secret", PasswordHash.MinIterations).ToString();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        // Loopback may not relay without AUTH: only authenticated sessions get a 250 at RCPT.
        string Edge(string users) => $$"""
            smtp {
              {{certificate.PemSettings()}}
              relay.allowed-networks = ["10.0.0.0/8"]
              auth.users { {{users}} }
            }
            """;
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw) + Edge($"alice = \"{alice}\""));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{router.Node.AdminEndpoint}/") };

        Assert.StartsWith("235 2.7.0", await AuthenticateAsync(router, "alice", "alice-secret"));
        Assert.StartsWith("535", await AuthenticateAsync(router, "bob", "bob-secret"));

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace(Edge($"alice = \"{alice}\""), Edge($"bob = \"{bob}\"")));
        using var response = await admin.PostAsync("api/config/reload", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.StartsWith("235 2.7.0", await AuthenticateAsync(router, "bob", "bob-secret", relay: true));
        Assert.StartsWith("535", await AuthenticateAsync(router, "alice", "alice-secret"));
    }

    /// <summary>A new session: EHLO, STARTTLS, EHLO, AUTH PLAIN; with <paramref name="relay"/> also a relayed RCPT that must get 250.</summary>
    private static async Task<string> AuthenticateAsync(TestRouter router, string user, string password, bool relay = false)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _1 = session;
        await session.SendAsync("EHLO client.test");
        await session.StartTlsAsync();
        await session.SendAsync("EHLO client.test");
        var reply = await session.ReplyAsync($"AUTH PLAIN {Plain(user, password)}");
        if (relay)
        {
            Assert.StartsWith("250", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
            Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        }
        return reply;
    }
}
