using System.Text.Json;
using Router.Messages.Health;
using Router.Node.Admin;
using Router.Node.Cmd;
using Spectre.Console.Testing;

namespace Router.Tests.Admin;

/// <summary><c>router cmd firewall &lt;id&gt;</c> shows the node's part of the firewall's budgets (issues 17 and 20).</summary>
public sealed class FirewallShareRenderTests
{
    private static string Render(FirewallShare share)
    {
        var view = new FirewallView("fw-a", "node1", "127.0.0.1", 25, ["out"], "healthy", DateTimeOffset.UtcNow, 0, 0, 1, share.MaxConnections, 0, 10, 0, "started")
        {
            Share = share,
        };
        var console = new TestConsole();
        console.Profile.Width = 160;
        CmdRenderer.Render(console, "firewall", JsonSerializer.Serialize(view, AdminJson.Options));
        return console.Output;
    }

    [Fact]
    public void In_a_cluster_the_part_and_the_budget_with_the_number_of_Up_nodes()
    {
        var output = Render(new FirewallShare(3, 8, 3)
        {
            MessageRate = "200/m",
            BudgetMessageRate = "600/m",
            ConnectionRate = "1.667/s",
            BudgetConnectionRate = "5/s",
        });

        Assert.Contains("max-connections 3 (cluster budget 8 / 3 Up nodes)", output);
        Assert.Contains("max-message-rate 200/m (cluster budget 600/m / 3 Up nodes)", output);
        Assert.Contains("max-connection-rate 1.667/s (cluster budget 5/s / 3 Up nodes)", output);
        Assert.Matches(@"fw-a\s*│\s*healthy\s*│[^\n]*│\s*1/3\s*│", output);
    }

    [Fact]
    public void A_node_that_has_not_joined_says_so()
    {
        Assert.Contains("max-connections 1 (cluster budget 6; this node has not joined the cluster yet)", Render(new FirewallShare(1, 6, 0)));
    }

    [Fact]
    public void On_a_single_node_the_value_alone_and_no_line_for_unlimited_rates()
    {
        var output = Render(new FirewallShare(8, 8, 1));

        Assert.Contains("max-connections 8", output);
        Assert.DoesNotContain("cluster budget", output);
        Assert.DoesNotContain("max-message-rate", output);
        Assert.DoesNotContain("max-connection-rate", output);
    }
}
