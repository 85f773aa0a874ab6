using System.Text.RegularExpressions;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 21: <c>router run</c> sends synthetic mail through a throwaway node before its listener opens. A real
/// `router` process with its real firewall: the synthetic mail never reaches that firewall, the real spool or the
/// tracking log, its temporary spool is gone, and a stop during the warm-up is a clean stop.
/// </summary>
public sealed partial class WarmUpProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [GeneratedRegex(@"Warm-up: 200 synthetic messages through the mail path in")]
    private static partial Regex WarmedUp();

    [GeneratedRegex(@"spool (\S+)\) before the listener opens")]
    private static partial Regex WarmUpSpool();

    [Fact]
    public async Task The_warm_up_mail_stays_in_its_throwaway_node_and_the_node_then_relays_real_mail()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        try
        {
            var config = await WriteConfigAsync(dir, firewall);
            await using var router = await RouterProcess.StartAsync(config, StartTimeout, warmUpMessages: 200);

            Assert.Matches(WarmedUp(), router.Output);
            var warmUpSpool = WarmUpSpool().Match(router.Output).Groups[1].Value;
            Assert.StartsWith(Path.GetTempPath(), warmUpSpool, StringComparison.Ordinal);
            Assert.False(Directory.Exists(warmUpSpool), $"the warm-up's spool {warmUpSpool} is still there");

            var replies = await TestMail.SendAsync(router.Smtp, Enumerable.Range(0, 3).Select(i => TestMail.Build($"after-warm-up-{i}")));
            Assert.All(replies, reply => Assert.StartsWith("2.0.0", reply));
            await firewall.WaitForCountAsync(3, TimeSpan.FromSeconds(60));
            router.Terminate();
            Assert.Equal(0, await router.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            // Only the real mail reached the real firewall and the real node's records.
            Assert.Equal(["after-warm-up-0", "after-warm-up-1", "after-warm-up-2"], firewall.Messages.Select(m => TestMail.IdOf(m.Data)).Order().ToArray());
            var tracking = string.Concat(Directory.GetFiles(Path.Combine(dir, "spool", "tracking")).Select(File.ReadAllText));
            Assert.Contains("after-warm-up-0@test.example", tracking, StringComparison.Ordinal);
            Assert.DoesNotContain("warm-up.invalid", tracking, StringComparison.Ordinal);
        }
        finally
        {
            TryDelete(dir);
        }
    }

    [Fact]
    public async Task A_stop_during_the_warm_up_exits_0_without_opening_the_node_and_removes_the_throwaway_spool()
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        try
        {
            var config = await WriteConfigAsync(dir, firewall);
            // Far more than it can send before the signal lands.
            await using var router = RouterProcess.Launch(config, warmUpMessages: 100_000);
            await router.WaitForLineAsync(WarmUpSpool(), StartTimeout);

            router.Terminate();

            Assert.Equal(0, await router.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Stop requested during the warm-up; the node was not started", router.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("SMTP listener open on", router.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", router.Output, StringComparison.Ordinal);
            var warmUpSpool = WarmUpSpool().Match(router.Output).Groups[1].Value;
            Assert.False(Directory.Exists(warmUpSpool), $"the warm-up's spool {warmUpSpool} is still there");
            Assert.Equal(0, firewall.Count);
        }
        finally
        {
            TryDelete(dir);
        }
    }

    private static async Task<string> WriteConfigAsync(string dir, FakeFirewall firewall)
    {
        var path = Path.Combine(dir, "router.conf");
        await File.WriteAllTextAsync(path, $$"""
            router {
              spool.path = "{{Path.Combine(dir, "spool")}}"
              smtp { listen = ["127.0.0.1:0"], hostname = "router.test", relay.allowed-networks = ["127.0.0.0/8"] }
              admin.listen = "127.0.0.1:0"
              {{TestRouter.EqualCost(firewall)}}
            }
            """);
        return path;
    }

    private static void TryDelete(string dir)
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
