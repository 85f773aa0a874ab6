using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Router.Node.Admin;
using Router.Node.Cmd;
using Router.Testing;
using Spectre.Console.Testing;

namespace Router.Tests.Admin;

/// <summary><c>router cmd</c>'s handler against a running node: what people see, what scripts get, exit codes.</summary>
public sealed class CmdClientTests
{
    private sealed class Client
    {
        public TestConsole Console { get; } = CreateConsole();
        public StringWriter Output { get; } = new();
        public StringWriter Error { get; } = new();
        public CmdRunner Runner { get; }

        public Client() => Runner = new CmdRunner(Console, Output, Error);

        private static TestConsole CreateConsole()
        {
            var console = new TestConsole();
            console.Profile.Width = 220;
            return console;
        }

        public Task<int> RunAsync(params string[] args) => Runner.RunAsync(args, null, CancellationToken.None);
    }

    [Fact]
    public async Task Firewalls_prints_a_table_of_every_firewall_and_exits_0()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();

        Assert.Equal(0, await client.RunAsync("--endpoint", node.EndpointText, "firewalls"));

        var screen = client.Console.Output;
        Assert.Contains("node test", screen);
        Assert.Matches(@"fw-a\s*│\s*healthy", screen);
        Assert.Matches(@"fw-b\s*│\s*healthy", screen);
        Assert.Contains("0/8", screen);
        Assert.Empty(client.Error.ToString());
    }

    [Fact]
    public async Task Json_prints_the_api_answer_for_scripts()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();

        Assert.Equal(0, await client.RunAsync("--endpoint", node.EndpointText, "connectors", "--json"));

        var connectors = JsonSerializer.Deserialize<ConnectorView[]>(client.Output.ToString(), AdminJson.Options)!;
        Assert.Equal(["out-a", "out-b", "partner"], connectors.Select(c => c.Id));
        Assert.Contains("\"addressSpaces\"", client.Output.ToString());
        Assert.Empty(client.Console.Output);
    }

    [Fact]
    public async Task Every_command_renders_for_people()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();
        async Task<string> Run(params string[] command)
        {
            var before = client.Console.Output.Length;
            var code = await client.RunAsync(["--endpoint", node.EndpointText, .. command]);
            Assert.True(code == 0, $"{string.Join(' ', command)} exited {code}: {client.Error}");
            return client.Console.Output[before..];
        }

        Assert.Matches(@"akka://router \(self\)\s*│\s*test\s*│\s*up", await Run("cluster", "show"));
        Assert.Contains("Count: 1 node(s)", client.Console.Output);
        var tree = await Run("actor", "hierarchy", "-d", "1");
        Assert.Contains("firewall-fw-a (+8 below)", tree);
        Assert.Contains("routing", tree);
        Assert.Matches(@"partner\s*│\s*partner.example;1 \*;5\s*│\s*fw-a\s*│\s*usable", await Run("connectors"));
        var queue = await Run("queue", "--state", "deferred");
        Assert.Contains("Count: 0 part(s)", queue);
        // Not clustered: no node column, as before clustering (issue 17's column is for clusters).
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^\s*queue id\s*│\s*sender", System.Text.RegularExpressions.RegexOptions.Multiline), queue);
        Assert.DoesNotContain("node(s)", queue);
        Assert.Matches(@"fw-a\s*│\s*tripped", await Run("firewall", "trip", "fw-a"));
        var route = await Run("route", "test", "bob@partner.example");
        Assert.Contains("1. matching address spaces", route);
        Assert.Contains("fw-a tripped", route);
        Assert.Contains("3. decision:", route);
        Assert.Contains("connector out-b suspended", await Run("queue", "suspend", "out-b"));
        Assert.Contains("retry: every deferred and parked part is tried now (0 part(s) affected)", await Run("queue", "retry"));
        Assert.Contains("redirect: mail for firewall fw-a goes to connector out-b", await Run("queue", "redirect", "fw-a", "out-b"));
        Assert.Contains("cancel-redirect: redirect of firewall fw-a cancelled (1 part(s) affected)", await Run("queue", "redirect", "--cancel", "fw-a"));
        Assert.Matches(@"fw-b\s*│\s*drained", await Run("firewall", "drain", "fw-b"));
        Assert.Matches(@"fw-b\s*│\s*healthy", await Run("firewall", "reset", "fw-b"));
        Assert.Contains("queue redirect <firewall> <connector>", await Run("help"));
    }

    [Fact]
    public async Task Track_prints_a_messages_history_and_an_unknown_id_exits_1()
    {
        await using var node = await AdminNode.StartAsync();
        var queueId = await node.SendMailAsync("track-me", "someone@example.net");
        await Eventually.TrueAsync(() => node.FwA.Count + node.FwB.Count == 1, TimeSpan.FromSeconds(10), "the message was not delivered");
        var client = new Client();

        await Eventually.TrueAsync(async () =>
        {
            var before = client.Console.Output.Length;
            return await client.RunAsync(["--endpoint", node.EndpointText, "track", queueId]) == 0
                && client.Console.Output[before..].Contains("delivered", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), () => $"track never showed the delivery: {client.Console.Output} {client.Error}");
        Assert.Matches($@"{queueId}\s*│\s*received", client.Console.Output);
        Assert.Matches($@"{queueId}\s*│\s*attempt\s*│\s*someone@example.net", client.Console.Output);

        Assert.Equal(1, await client.RunAsync(["--endpoint", node.EndpointText, "track", "NOSUCHID"]));
        Assert.Contains("no tracking events for 'NOSUCHID'", client.Error.ToString());
    }

    [Fact]
    public async Task An_unknown_id_exits_1_with_the_nodes_one_line_error()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();

        Assert.Equal(CmdException.NodeError, await client.RunAsync("--endpoint", node.EndpointText, "firewall", "trip", "fw-x"));

        Assert.Equal("router cmd: unknown firewall 'fw-x'\n", client.Error.ToString().Replace("\r", string.Empty));

        var leave = new Client();
        Assert.Equal(CmdException.NodeError, await leave.RunAsync("--endpoint", node.EndpointText, "cluster", "leave", "akka://router@10.0.0.2:4053"));
        Assert.StartsWith("router cmd: not in a cluster", leave.Error.ToString());
    }

    [Fact]
    public async Task A_wrong_or_missing_token_exits_1_unauthorized_and_the_right_one_works()
    {
        await using var node = await AdminNode.StartAsync($"admin.token = \"{AdminNode.Token}\"");

        var none = new Client();
        Assert.Equal(CmdException.NodeError, await none.RunAsync("--endpoint", node.EndpointText, "firewalls"));
        Assert.StartsWith("router cmd: unauthorized", none.Error.ToString());

        var wrong = new Client();
        Assert.Equal(CmdException.NodeError, await wrong.RunAsync("--endpoint", node.EndpointText, "--token", "not-the-token-at-all", "firewalls"));
        Assert.StartsWith("router cmd: unauthorized", wrong.Error.ToString());

        var right = new Client();
        Assert.Equal(0, await right.RunAsync("--endpoint", node.EndpointText, "--token", AdminNode.Token, "firewalls"));
    }

    [Fact]
    public async Task A_node_that_does_not_answer_exits_3_node_unreachable()
    {
        // A port that was free a moment ago: nothing listens there.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = new Client();

        Assert.Equal(CmdException.Unreachable, await client.RunAsync("--endpoint", $"127.0.0.1:{port}", "firewalls"));

        var error = client.Error.ToString().TrimEnd();
        Assert.StartsWith($"router cmd: node unreachable at 127.0.0.1:{port}", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public async Task A_usage_error_exits_2_without_asking_the_node()
    {
        var client = new Client();

        Assert.Equal(CmdException.UsageError, await client.RunAsync("--endpoint", "127.0.0.1:1", "firewall", "trip"));
        Assert.Equal(CmdException.UsageError, await client.RunAsync("--endpoint"));
        Assert.Contains("router cmd: --endpoint needs a value", client.Error.ToString());
    }

    [Fact]
    public async Task Tail_prints_events_as_they_happen_until_cancelled()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();
        using var stop = new CancellationTokenSource();

        var tail = client.Runner.RunAsync(["--endpoint", node.EndpointText, "tail"], null, stop.Token);
        await Eventually.TrueAsync(() => client.Console.Output.Contains("tailing health and routing events"), TimeSpan.FromSeconds(10), () => $"tail did not start: {client.Console.Output} {client.Error} {tail.Status} {tail.Exception}");
        // The banner shows once the node has answered, and it answers once it has subscribed.
        await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-a/trip");
        await Eventually.TrueAsync(() => client.Console.Output.Contains("healthy -> tripped"), TimeSpan.FromSeconds(10),
            () => $"no trip event in: {client.Console.Output}");
        Assert.Matches(@"firewall\s+fw-a healthy -> tripped \(open for", client.Console.Output);
        Assert.False(tail.IsCompleted);

        await stop.CancelAsync();
        Assert.Equal(0, await tail.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Interactive_prompt_runs_commands_with_completed_ids_and_history_until_exit()
    {
        await using var node = await AdminNode.StartAsync();
        var client = new Client();
        // "conn<Tab>s<Tab>" completes to "connectors" (Tab alone stops at "connector", a command of its own);
        // "queue susp<Tab>out-a<Tab>" suspends out-a; Up Up Enter runs connectors again.
        var keys = new ScriptedKeys("conn\ts\t\n" + "queue susp\tout-a\t\n" + "↑↑\n" + "firewall trip nope\n" + "exit\n");

        Assert.Equal(0, await client.Runner.RunAsync(["--endpoint", node.EndpointText], keys, CancellationToken.None));

        var screen = client.Console.Output;
        Assert.Contains("Connected to node test", screen);
        Assert.Contains($"[{node.EndpointText}] router> connectors", screen);
        Assert.Contains("connector out-a suspended", screen);
        // The second connectors table shows the suspension.
        Assert.Matches(@"out-a\s*│\s*\*;1\s*│\s*fw-a\s*│\s*suspended", screen);
        // An error in the shell is reported and the shell goes on.
        Assert.Contains("router cmd: unknown firewall 'nope'", client.Error.ToString());
    }
}
