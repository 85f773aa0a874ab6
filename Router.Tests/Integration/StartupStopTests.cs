using System.Text.RegularExpressions;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 15: SIGTERM or Ctrl-C at any moment of start-up or service is a clean stop (exit 0, no
/// unhandled exception) and loses nothing acknowledged. Each case queues mail in a real `router`
/// process while its firewall is down, stops a second start of that spool at one moment, then
/// starts a third time with the firewall back and checks that every message arrives once.
/// </summary>
public sealed class StartupStopTests
{
    private const int Queued = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string, bool, int> Moments => new()
    {
        // The line each case waits for, and so the phase the signal lands in just after it.
        { "host building, Akka starting, spool opening", "Starting node", false, RouterProcess.SigTerm },
        { "actors starting and routing recovered mail", @"Spool .* opened", false, RouterProcess.SigTerm },
        { "admin endpoint starting", "SMTP listener open on", false, RouterProcess.SigTerm },
        { "cluster joining (seed unreachable)", "Started up successfully", true, RouterProcess.SigTerm },
        { "in service", "Admin endpoint listening", false, RouterProcess.SigTerm },
        { "in service, Ctrl-C", "Admin endpoint listening", false, RouterProcess.SigInt },
    };

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task A_signal_at_this_moment_exits_0_and_loses_no_acknowledged_mail(string moment, string afterLine, bool clustered, int signal)
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        await firewall.StopAsync();
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        try
        {
            var config = await WriteConfigAsync(dir, "router.conf", firewall, clustered: false);

            // 1. Mail acknowledged while the only firewall is down stays queued.
            await using (var first = await RouterProcess.StartAsync(config, StartTimeout))
            {
                var replies = await TestMail.SendAsync(first.Smtp, Enumerable.Range(0, Queued).Select(i => TestMail.Build($"startup-stop-{i}")));
                Assert.All(replies, reply => Assert.StartsWith("2.0.0 Ok: queued as", reply));
                first.Terminate();
                Assert.Equal(0, await first.WaitForExitAsync(ExitTimeout));
            }

            // 2. The signal at the moment under test.
            string secondOutput;
            var stopped = clustered ? await WriteConfigAsync(dir, "cluster.conf", firewall, clustered: true) : config;
            await using (var second = RouterProcess.Launch(stopped))
            {
                await second.WaitForLineAsync(new Regex(afterLine), StartTimeout);
                second.Terminate(signal);
                var exit = await second.WaitForExitAsync(ExitTimeout);
                secondOutput = second.Output;
                Assert.True(exit == 0, $"signal {signal} during {moment}: exit {exit}\n{second.Output}");
                Assert.DoesNotContain("Unhandled exception", second.Output, StringComparison.Ordinal);
                Assert.DoesNotMatch(new Regex(@"^\S+ \S+ (ERR|FTL) ", RegexOptions.Multiline), second.Output);
            }

            // 3. With the firewall back, every acknowledged message arrives, once.
            await firewall.RestartAsync();
            await using (var third = await RouterProcess.StartAsync(config, StartTimeout))
            {
                try
                {
                    await firewall.WaitForCountAsync(Queued, TimeSpan.FromSeconds(60));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Lost or only waiting? The three processes' logs say which.
                    throw new Xunit.Sdk.XunitException($"{ex.Message}\n--- second process ({moment}):\n{secondOutput}\n--- third process:\n{third.Output}");
                }
                third.Terminate();
                Assert.Equal(0, await third.WaitForExitAsync(ExitTimeout));
            }
            var ids = firewall.Messages.Select(m => TestMail.IdOf(m.Data)).ToList();
            Assert.Equal(Enumerable.Range(0, Queued).Select(i => $"startup-stop-{i}").Order(), ids.Order());
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

    private static async Task<string> WriteConfigAsync(string dir, string name, FakeFirewall firewall, bool clustered)
    {
        var path = Path.Combine(dir, name);
        // Port 9 (discard) on loopback refuses: the node stays joining for as long as the test needs.
        var cluster = clustered ? """cluster { enabled = on, port = 0, seed-nodes = ["akka.tcp://router@127.0.0.1:9"] }""" : "";
        await File.WriteAllTextAsync(path, $$"""
            router {
              spool.path = "{{Path.Combine(dir, "spool")}}"
              smtp { listen = ["127.0.0.1:0"], hostname = "router.test", relay.allowed-networks = ["127.0.0.0/8"] }
              admin.listen = "127.0.0.1:0"
              {{cluster}}
              {{TestRouter.EqualCost(firewall)}}
            }
            """);
        return path;
    }
}
