using System.Globalization;
using Router.Messages.Health;
using Spectre.Console;

namespace Router.Node.Cmd;

/// <summary><c>router cmd firewall &lt;id&gt;</c>: the learnt latencies and current thresholds per step (issue 18).</summary>
internal static class FirewallLatencyTable
{
    public static void Render(IAnsiConsole console, IReadOnlyList<FirewallPhaseLatency> latencies)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("step", "samples", "p50", "p99", "gives up after");
        foreach (var phase in latencies)
        {
            var learnt = phase.Samples > 0;
            table.AddRow(
                phase.Phase,
                phase.Samples.ToString(CultureInfo.InvariantCulture),
                learnt ? Milliseconds(phase.P50Ms) : "-",
                learnt ? Milliseconds(phase.P99Ms) : "-",
                $"{Milliseconds(phase.ThresholdMs)} {(phase.Adaptive ? "(learnt)" : "(fixed timeout)")}");
        }
        console.WriteLine("Latencies (the detector gives a wait up past its threshold; README \"Failure detection\"):");
        console.Write(table);
    }

    private static string Milliseconds(double ms) => ms >= 10_000
        ? $"{ms / 1000:0.#} s"
        : ms >= 1000 ? $"{ms / 1000:0.00} s" : $"{ms:0.#} ms";
}
