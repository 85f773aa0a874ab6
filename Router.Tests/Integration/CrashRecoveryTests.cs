using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 2: mail acknowledged with 250 survives kill -9 and is delivered exactly once after restart.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Messages_accepted_while_firewalls_are_down_survive_kill_9_and_arrive_once_after_restart()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await fwA.StopAsync();
        await fwB.StopAsync();

        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "router.conf");
        await File.WriteAllTextAsync(config, $$"""
            router {
              node-name = "crash-test"
              spool.path = "{{Path.Combine(dir, "spool")}}"
              smtp { listen = ["127.0.0.1:0"], hostname = "router.test", relay.allowed-networks = ["127.0.0.0/8"] }
              admin.listen = "127.0.0.1:0"
              firewall-defaults { connect-timeout = 1s, open-for = 1s, probe-interval = 250ms, slow-start = 500ms }
              {{TestRouter.EqualCost(fwA, fwB)}}
            }
            """);
        try
        {
            const int total = 200;
            var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"crash{i:D3}")).ToArray();
            await using (var first = await RouterProcess.StartAsync(config, TimeSpan.FromSeconds(60)))
            {
                var sends = Enumerable.Range(0, 4).Select(c =>
                    TestMail.SendAsync(first.Smtp, messages.Where((_, i) => i % 4 == c)));
                var replies = (await Task.WhenAll(sends)).SelectMany(r => r).ToList();
                Assert.Equal(total, replies.Count);
                Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as ", r));
                await first.KillAsync();
            }
            Assert.Equal(0, fwA.Count + fwB.Count);

            await fwA.RestartAsync();
            await fwB.RestartAsync();
            await using var second = await RouterProcess.StartAsync(config, TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(() => fwA.Count + fwB.Count >= total, TimeSpan.FromSeconds(60),
                () => $"delivered {fwA.Count + fwB.Count} of {total}\n{second.Output}");

            var ids = fwA.Messages.Concat(fwB.Messages).Select(m => TestMail.IdOf(m.Data)).ToList();
            Assert.Equal(total, ids.Distinct().Count());
            Assert.Equal(total, ids.Count);
            // Delivered mail leaves the spool: the node journals each delivery before forgetting it.
            await Eventually.TrueAsync(() => second.Output.Contains("Delivered", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "no delivery log lines");
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
