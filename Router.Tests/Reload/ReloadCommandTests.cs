using System.Text.Json;
using Router.Node.Admin;
using Router.Node.Cmd;
using Router.Testing.Firewalls;
using Router.Tests.Integration;
using Spectre.Console.Testing;

namespace Router.Tests.Reload;

/// <summary><c>router cmd config reload [--all-nodes]</c> against a running node: what people see, what scripts get, exit codes.</summary>
public sealed class ReloadCommandTests
{
    [Fact]
    public async Task Config_reload_prints_what_changed_exits_0_and_a_refusal_prints_the_key_and_exits_1()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA));
        var endpoint = router.Node.AdminEndpoint!.ToString();

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace(TestRouter.EqualCost(fwA), TestRouter.EqualCost(fwA, fwB)));
        var console = new TestConsole { Profile = { Width = 220 } };
        var error = new StringWriter();
        Assert.Equal(0, await new CmdRunner(console, new StringWriter(), error).RunAsync(["--endpoint", endpoint, "config", "reload"], null, CancellationToken.None));
        Assert.Contains("applied: firewalls added fw-b; connectors added out-fw-b", console.Output);
        Assert.Empty(error.ToString());

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace("retry.schedule = [2s]", "retry.schedule = [-2s]"));
        var refused = new StringWriter();
        Assert.Equal(1, await new CmdRunner(new TestConsole(), new StringWriter(), refused).RunAsync(["--endpoint", endpoint, "config", "reload"], null,
            CancellationToken.None));
        Assert.StartsWith("router cmd: configuration reload refused, nothing applied: router.retry.schedule", refused.ToString());

        // --all-nodes on a node alone: its own answer, as JSON for scripts, and exit 1 since it refused.
        var json = new StringWriter();
        Assert.Equal(1, await new CmdRunner(new TestConsole(), json, new StringWriter()).RunAsync(["--endpoint", endpoint, "config", "reload", "--all-nodes", "--json"],
            null, CancellationToken.None));
        var node = Assert.Single(JsonSerializer.Deserialize<ClusterReload>(json.ToString(), AdminJson.Options)!.Nodes);
        Assert.Equal(("test", "refused"), (node.Node, node.Outcome));
        Assert.Contains("router.retry.schedule", node.Error);
    }
}
