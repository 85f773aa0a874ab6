using System.Text.Json;
using Router.Messages.Health;
using Router.Node.Admin;
using Router.Node.Cmd;
using Spectre.Console.Testing;

namespace Router.Tests.Admin;

/// <summary><c>router cmd firewall &lt;id&gt;</c> shows the learnt latencies and thresholds per step (issue 18).</summary>
public sealed class FirewallLatencyRenderTests
{
    [Fact]
    public void Firewall_view_shows_p50_p99_and_threshold_per_step()
    {
        var view = new FirewallView("fw-a", "node1", "127.0.0.1", 25, ["out"], "healthy", DateTimeOffset.UtcNow, 0, 0, 0, 8, 0, 10, 0, "started")
        {
            Latencies =
            [
                new FirewallPhaseLatency("greeting", 40, 2.5, 12, 1234, true),
                new FirewallPhaseLatency("auth", 0, 0, 0, 30_000, false),
            ],
        };
        var console = new TestConsole();
        console.Profile.Width = 160;

        CmdRenderer.Render(console, "firewall", JsonSerializer.Serialize(view, AdminJson.Options));

        var output = console.Output;
        Assert.Matches(@"greeting\s+40\s+2\.5 ms\s+12 ms\s+1\.23 s \(learnt\)", output);
        Assert.Matches(@"auth\s+0\s+-\s+-\s+30 s \(fixed timeout\)", output);
    }
}
