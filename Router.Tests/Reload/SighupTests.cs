using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Reload;

/// <summary>Issue 19, measured before: SIGHUP to a running node killed it. The real executable, a real signal.</summary>
public sealed class SighupTests
{
    private const int SigHup = 1;

    [Fact]
    public async Task Sighup_reloads_the_file_keeps_the_process_and_its_sessions_and_a_broken_file_is_refused_with_its_key()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "router.conf");
        string Config(FakeFirewall firewall, string extra = "") => $$"""
            router {
              spool.path = "{{Path.Combine(dir, "spool")}}"
              smtp { listen = ["127.0.0.1:0"], hostname = "router.test", relay.allowed-networks = ["127.0.0.0/8"] }
              admin.listen = "127.0.0.1:0"
              firewalls { {{firewall.Name}} { host = "127.0.0.1", port = {{firewall.Port}} } }
              connectors { out { address-spaces = ["*;1"], firewalls = [{{firewall.Name}}] } }
              {{extra}}
            }
            """;
        await File.WriteAllTextAsync(config, Config(fwA));
        try
        {
            await using var router = await RouterProcess.StartAsync(config, TimeSpan.FromSeconds(60));
            var (session, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
            using var _ = session;
            Assert.StartsWith("220", greeting);
            Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));

            await File.WriteAllTextAsync(config, Config(fwB));
            router.Terminate(SigHup);
            await Eventually.TrueAsync(() => router.Output.Contains("Configuration reloaded from", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), () => router.Output);
            Assert.False(router.HasExited);
            Assert.Contains("Configuration reload (SIGHUP)", router.Output);

            // The session opened before the reload goes on; its mail takes the new path.
            Assert.StartsWith("250", await session.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"],
                "Subject: after sighup\r\nMessage-ID: <after-sighup@test>\r\n\r\nbody"));
            await fwB.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
            Assert.Equal(0, fwA.Count);

            // A broken file: one line naming the key, and the node runs on.
            await File.WriteAllTextAsync(config, Config(fwB, "smtp.max-recipients = 5"));
            router.Terminate(SigHup);
            await Eventually.TrueAsync(() => router.Output.Contains("refused, nothing applied", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), () => router.Output);
            var refused = router.Output.Split('\n').Single(l => l.Contains("refused, nothing applied", StringComparison.Ordinal));
            Assert.Contains("router.smtp.max-recipients", refused);
            Assert.False(router.HasExited);
            Assert.StartsWith("250", await session.ReplyAsync("NOOP"));

            router.Terminate();
            Assert.Equal(0, await router.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
