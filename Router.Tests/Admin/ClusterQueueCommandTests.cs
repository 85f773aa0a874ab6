using System.Net;
using System.Text.Json;
using Router.Actors.Configuration;
using Router.Node.Admin;
using Router.Node.Cmd;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Cluster;
using Router.Tests.Integration;
using Spectre.Console.Testing;

namespace Router.Tests.Admin;

/// <summary>
/// Issue 17 item 5, one router to operate: three real nodes in this process (remoting on loopback, each with its own
/// admin endpoint and fake firewall). Mail deferred on node2 is listed, retried, held, released and deleted through
/// node1's admin API and <c>router cmd</c>; connector suspend/resume, hold/release and redirects act on every node or on
/// <c>--node N</c>; <c>cluster show</c> has each node's queue depth, rates and configuration hash.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterQueueCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // A deferred message waits an hour: it stays in node2's queue for the whole test. "spare" gives redirects a target.
    private const string Extra = """
        retry.schedule = [1h]
        connectors { spare { address-spaces = ["spare.example;1"], firewalls = [fw] } }
        """;

    private readonly ClusterNodes _cluster = new();
    private readonly List<HttpClient> _http = [];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
            await _cluster.AddNodeAsync(extra: Extra, akka: ClusterNodes.NoLeaveOnTerminate);
        await _cluster.AllUpAsync();
        foreach (var router in _cluster.Routers)
        {
            var endpoint = router.Node.AdminEndpoint ?? throw new InvalidOperationException("admin endpoint not bound");
            _http.Add(new HttpClient { BaseAddress = new Uri($"http://{endpoint.Address}:{endpoint.Port}/"), Timeout = TimeSpan.FromSeconds(30) });
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var http in _http)
            http.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Mail_deferred_on_node2_is_listed_with_its_node_retried_held_and_deleted_from_node1_and_cluster_show_has_its_figures()
    {
        var node1 = _http[0];
        var firewall2 = _cluster.FirewallOf(_cluster[1]);
        firewall2.Behavior = FirewallBehavior.Reject451OnMail;
        var queueId = (await TestMail.SendAsync(_cluster[1].Smtp, [TestMail.Build("on-node2")])).Single().Split(' ').Last();

        // Listed from node1, with node2 in the node column; every node was asked.
        QueueView queue = new(0, []);
        await Eventually.TrueAsync(async () => (queue = await GetAsync<QueueView>(node1, "api/queue?state=deferred")).Entries.Any(e => e.QueueId == queueId),
            Timeout, () => $"node1 lists {string.Join(", ", queue.Entries.Select(e => $"{e.Node}/{e.QueueId} {e.State}"))}, not node2's deferred {queueId}");
        Assert.Equal("node2", queue.Entries.Single(e => e.QueueId == queueId).Node);
        Assert.Equal(["node1", "node2", "node3"], queue.Nodes);
        Assert.Null(queue.Problems);
        Assert.Empty((await GetAsync<QueueView>(node1, "api/queue?node=node3")).Entries);
        Assert.Equal(["node2"], (await GetAsync<QueueView>(node1, "api/queue?node=node2")).Entries.Select(e => e.Node).Distinct());

        // queue show and queue export from node1: node2, which holds the message, shows it and gives its bytes.
        var shown = await node1.GetStringAsync($"api/queue/{queueId}");
        Assert.Contains($"\"queueId\":\"{queueId}\"", shown);
        Assert.Contains("on-node2", shown);
        var exported = await node1.GetByteArrayAsync($"api/queue/{queueId}/eml");
        Assert.Equal(await _http[1].GetByteArrayAsync($"api/queue/{queueId}/eml"), exported);
        Assert.Contains("on-node2", System.Text.Encoding.UTF8.GetString(exported));
        var (missing, missingBody) = await RawAsync(node1, HttpMethod.Get, "api/queue/NOSUCHID");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("no message 'NOSUCHID' in the queue of any node", Error(missingBody));

        // cluster show from node1: node2 accepted mail in the last seconds (the rate covers 10 s: checked
        // at once) and queues it; node3 did neither.
        ClusterView cluster = new(string.Empty, null, true, []);
        await Eventually.TrueAsync(async () => Member(cluster = await GetAsync<ClusterView>(node1, "api/cluster"), "node2").AcceptedPerSecond > 0,
            Timeout, () => $"node2's accepted rate is {Member(cluster, "node2").AcceptedPerSecond}");
        Assert.Equal(["node1", "node2", "node3"], cluster.Members.Select(m => m.Node).Order());
        Assert.Equal(1, Member(cluster, "node2").Queued);
        Assert.Equal((0, 0.0, 0.0), (Member(cluster, "node3").Queued, Member(cluster, "node3").AcceptedPerSecond, Member(cluster, "node3").DeliveredPerSecond));
        Assert.All(cluster.Members, m => Assert.InRange(m.RateSeconds!.Value, 0, 11));
        var show = await CmdAsync(0, "cluster", "show");
        Assert.Matches(@"queued\s*│\s*accepted/s\s*│\s*delivered/s\s*│\s*config", show.Screen);
        Assert.Contains("per second over the last", show.Screen);

        // router cmd queue against node1: a node column.
        var list = await CmdAsync(0, "queue");
        Assert.Equal(0, list.Exit);
        Assert.Matches(@"node\s*│\s*queue id", list.Screen);
        Assert.Matches($@"node2\s*│\s*{queueId}\s*│", list.Screen);
        Assert.Contains("on 3 node(s) (node1, node2, node3)", list.Screen);

        // Retried from node1: node2 acts, and its firewall is tried again.
        var mails = firewall2.MailCommands;
        var retried = await SendAsync<CommandResult>(node1, HttpMethod.Post, $"api/queue/retry?id={queueId}");
        Assert.Equal(("retry", 1, "node2"), (retried.Command, retried.Affected, retried.Node));
        await Eventually.TrueAsync(() => firewall2.MailCommands > mails, Timeout, "node2's firewall was not tried again after the retry from node1");

        // Held and released from node1, on node2.
        var held = await SendAsync<CommandResult>(node1, HttpMethod.Post, $"api/queue/{queueId}/hold");
        Assert.Equal(("hold", "node2"), (held.Command, held.Node));
        // A deferred part is held when its retry is due: retried now (from node1 again), it waits as held on node2.
        Assert.Equal("node2", (await SendAsync<CommandResult>(node1, HttpMethod.Post, $"api/queue/retry?id={queueId}")).Node);
        await Eventually.TrueAsync(async () => (await GetAsync<QueueView>(node1, "api/queue?state=held")).Entries.Any(e => e.QueueId == queueId && e.Node == "node2"),
            Timeout, "the message held from node1 is not listed as held on node2");
        var released = await SendAsync<CommandResult>(node1, HttpMethod.Post, $"api/queue/{queueId}/release");
        Assert.Equal(("release", 1, "node2"), (released.Command, released.Affected, released.Node));

        // Deleted from node1, on node2; then the id is on no node.
        var deleted = await SendAsync<CommandResult>(node1, HttpMethod.Delete, $"api/queue/{queueId}?bounce=false");
        Assert.Equal(("delete", "node2"), (deleted.Command, deleted.Node));
        await Eventually.TrueAsync(() => !_cluster[1].Node.Spool.Contains(queueId), Timeout, "the message deleted from node1 is still in node2's spool");
        var (status, body) = await RawAsync(node1, HttpMethod.Delete, $"api/queue/{queueId}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal($"no message '{queueId}' in the queue of any node (node1, node2, node3)", Error(body));
        var again = await CmdAsync(0, "queue", "delete", queueId);
        Assert.Equal(CmdException.NodeError, again.Exit);
        Assert.Contains($"no message '{queueId}' in the queue of any node", again.Error);
        var (holdStatus, _) = await RawAsync(node1, HttpMethod.Post, "api/queue/NOSUCHID/hold");
        Assert.Equal(HttpStatusCode.NotFound, holdStatus);
    }

    [Fact]
    public async Task Suspend_resume_and_redirect_act_on_every_node_or_on_the_one_named_and_cluster_show_shows_a_drifted_config_hash()
    {
        var node1 = _http[0];
        var suspended = await SendAsync<CommandResult>(node1, HttpMethod.Post, "api/connectors/out/suspend");
        Assert.Equal(("suspend", null), (suspended.Command, suspended.Node));
        Assert.Equal(["node1", "node2", "node3"], suspended.Nodes!.Select(n => $"{n.Node}").Order());
        Assert.All(suspended.Nodes!, n => Assert.Equal(200, n.Status));
        // Each node's own view: suspended everywhere.
        foreach (var http in _http)
            Assert.Equal("suspended", (await GetAsync<ConnectorView[]>(http, "api/connectors")).Single(c => c.Id == "out").State);

        // --node node3: only node3 resumes.
        var one = await CmdAsync(0, "queue", "resume", "out", "--node", "node3");
        Assert.Equal(0, one.Exit);
        Assert.Contains("connector out resumed on node node3", one.Screen);
        Assert.Equal(["suspended", "suspended", "usable"], await ConnectorStatesAsync("out"));
        var all = await CmdAsync(0, "queue", "resume", "out");
        Assert.Equal(0, all.Exit);
        Assert.Contains("on 3 of 3 node(s)", all.Screen);
        Assert.Matches(@"node2: connector out resumed", all.Screen);
        Assert.Equal(["usable", "usable", "usable"], await ConnectorStatesAsync("out"));

        // A redirect on every node, cancelled on node2 only.
        var redirected = await SendAsync<CommandResult>(node1, HttpMethod.Post, "api/firewalls/fw/redirect?to=spare");
        Assert.All(redirected.Nodes!, n => Assert.Equal(200, n.Status));
        Assert.Equal(3, redirected.Nodes!.Count);
        Assert.Equal("node2", (await SendAsync<CommandResult>(node1, HttpMethod.Delete, "api/firewalls/fw/redirect?node=node2")).Node);
        var redirects = new List<string?>();
        foreach (var http in _http)
            redirects.Add((await GetAsync<ConnectorView[]>(http, "api/connectors")).Single(c => c.Id == "out").Redirects.GetValueOrDefault("fw"));
        Assert.Equal(["spare", null, "spare"], redirects);

        // connector hold on every node: mail accepted by node2 waits there, held; released on node2 alone, it goes.
        var hold = await CmdAsync(0, "connector", "hold", "out");
        Assert.Equal(0, hold.Exit);
        Assert.Contains("connector out held; its mail stays with it, unsent: on 3 of 3 node(s)", hold.Screen);
        var queueId = (await TestMail.SendAsync(_cluster[1].Smtp, [TestMail.Build("held-connector")])).Single().Split(' ').Last();
        await Eventually.TrueAsync(async () => (await GetAsync<QueueView>(node1, "api/queue?state=held")).Entries.Any(e => e.QueueId == queueId && e.Node == "node2"),
            Timeout, "mail for the held connector is not listed as held on node2");
        var firewall2 = _cluster.FirewallOf(_cluster[1]);
        Assert.Equal(0, firewall2.Count);
        var release = await CmdAsync(0, "connector", "release", "out", "--node", "node2");
        Assert.Equal(0, release.Exit);
        Assert.Contains("connector out released on node node2 (1 part(s) affected)", release.Screen);
        await firewall2.WaitForCountAsync(1, Timeout);
        Assert.Equal(0, (await CmdAsync(0, "connector", "release", "out")).Exit);

        // Unknown on every node: 404; an unknown node: 404 naming the nodes.
        var (status, body) = await RawAsync(node1, HttpMethod.Post, "api/connectors/nope/suspend");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("unknown connector 'nope'", Error(body));
        (status, body) = await RawAsync(node1, HttpMethod.Post, "api/connectors/out/suspend?node=node9");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("unknown node 'node9' (the cluster's Up nodes are node1, node2, node3)", Error(body));

        // Configuration drift: node3's file changes and is reloaded; cluster show gives each node the hash of its own file.
        var cluster = await GetAsync<ClusterView>(node1, "api/cluster");
        foreach (var router in _cluster.Routers)
            Assert.Equal(LoadedConfig.HashOf(router.ConfigText), cluster.Members.Single(m => m.Address == ClusterNodes.AddressOf(router).ToString()).ConfigHash);
        var changed = _cluster[2].ConfigText.Replace("retry.schedule = [1h]", "retry.schedule = [2h]", StringComparison.Ordinal);
        Assert.NotEqual(_cluster[2].ConfigText, changed);
        await File.WriteAllTextAsync(_cluster[2].ConfigPath, changed);
        Assert.Equal("applied", (await SendAsync<NodeReload>(_http[2], HttpMethod.Post, "api/config/reload")).Outcome);
        cluster = await GetAsync<ClusterView>(node1, "api/cluster");
        Assert.Equal(LoadedConfig.HashOf(changed), Member(cluster, "node3").ConfigHash);
        Assert.NotEqual(LoadedConfig.HashOf(_cluster[2].ConfigText), Member(cluster, "node3").ConfigHash);
        Assert.Equal(LoadedConfig.HashOf(_cluster[0].ConfigText), Member(cluster, "node1").ConfigHash);
        Assert.Equal(LoadedConfig.HashOf(_cluster[1].ConfigText), Member(cluster, "node2").ConfigHash);
        var show = await CmdAsync(0, "cluster", "show");
        Assert.Matches($@"node3\s*│.*│\s*{LoadedConfig.HashOf(changed)[..12]}", show.Screen);
    }

    [Fact]
    public async Task Outbound_pause_holds_every_nodes_mail_and_resume_on_one_node_lets_only_its_mail_go()
    {
        var pause = await CmdAsync(0, "outbound", "pause");
        Assert.Equal(0, pause.Exit);
        Assert.Contains("outbound mail paused; mail is still accepted: on 3 of 3 node(s)", pause.Screen);

        // Accepted by node3 while paused: it waits there, unsent.
        var queueId = (await TestMail.SendAsync(_cluster[2].Smtp, [TestMail.Build("paused-outbound")])).Single().Split(' ').Last();
        await Eventually.TrueAsync(async () => (await GetAsync<QueueView>(_http[0], "api/queue")).Entries.Any(e => e.QueueId == queueId && e.Node == "node3"),
            Timeout, "mail accepted while paused is not listed on node3");
        var firewall3 = _cluster.FirewallOf(_cluster[2]);
        Assert.Equal(0, firewall3.Count);

        // Resumed on node1 only: node3's mail still waits; resumed on node3, it goes.
        Assert.Equal("node1", (await SendAsync<CommandResult>(_http[1], HttpMethod.Post, "api/outbound/resume?node=node1")).Node);
        Assert.Equal(0, firewall3.Count);
        Assert.Equal(1, (await GetAsync<QueueView>(_http[0], "api/queue?node=node3")).Entries.Count(e => e.QueueId == queueId));
        var resume = await CmdAsync(0, "outbound", "resume", "--node", "node3");
        Assert.Equal(0, resume.Exit);
        Assert.Contains("outbound mail resumed on node node3", resume.Screen);
        await firewall3.WaitForCountAsync(1, Timeout);
        Assert.Equal(0, (await CmdAsync(0, "outbound", "resume")).Exit);
    }

    [Fact]
    public async Task A_member_that_cannot_answer_is_named_instead_of_failing_the_listing_and_an_id_not_found_elsewhere_is_503()
    {
        var node1 = _http[0];
        var node3 = ClusterNodes.AddressOf(_cluster[2]).ToString();
        // node3's actor system ends without leaving: to the others a member that vanished (not removed while the test runs).
        await _cluster.CrashAsync(_cluster[2]);

        var queue = await GetAsync<QueueView>(node1, "api/queue");
        Assert.Equal(["node1", "node2"], queue.Nodes);
        var problem = Assert.Single(queue.Problems!);
        Assert.StartsWith($"{node3}: ", problem);
        Assert.Matches("unreachable, not asked|did not answer within 5s", problem);

        var (status, body) = await RawAsync(node1, HttpMethod.Delete, "api/queue/0000000000000000");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("no node that answered has message '0000000000000000'; not asked or no answer: " + node3, Error(body));

        var cluster = await GetAsync<ClusterView>(node1, "api/cluster");
        Assert.Null(cluster.Members.Single(m => m.Address == node3).Queued);
        Assert.All(cluster.Members.Where(m => m.Address != node3), m => Assert.NotNull(m.Queued));
    }

    private async Task<string[]> ConnectorStatesAsync(string id)
    {
        var states = new List<string>();
        foreach (var http in _http)
            states.Add((await GetAsync<ConnectorView[]>(http, "api/connectors")).Single(c => c.Id == id).State);
        return [.. states];
    }

    private static MemberView Member(ClusterView cluster, string node) => cluster.Members.Single(m => m.Node == node);

    private async Task<(int Exit, string Screen, string Error)> CmdAsync(int node, params string[] words)
    {
        var console = new TestConsole();
        console.Profile.Width = 400;
        var output = new StringWriter();
        var error = new StringWriter();
        var endpoint = _cluster[node].Node.AdminEndpoint!;
        var exit = await new CmdRunner(console, output, error).RunAsync(["--endpoint", $"{endpoint.Address}:{endpoint.Port}", .. words], null, CancellationToken.None);
        return (exit, console.Output, error.ToString());
    }

    private static async Task<T> GetAsync<T>(HttpClient http, string path) => await SendAsync<T>(http, HttpMethod.Get, path);

    private static async Task<T> SendAsync<T>(HttpClient http, HttpMethod method, string path)
    {
        var (status, body) = await RawAsync(http, method, path);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {body}");
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)!;
    }

    private static async Task<(HttpStatusCode Status, string Body)> RawAsync(HttpClient http, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Error(string body) => JsonSerializer.Deserialize<ApiError>(body, AdminJson.Options)!.Error;
}
