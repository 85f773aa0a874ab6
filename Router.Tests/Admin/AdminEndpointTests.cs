using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Akka.Actor;
using Router.Node.Admin;
using Router.Node.Hosting;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Tests.Integration;

namespace Router.Tests.Admin;

/// <summary>The admin endpoint's JSON API against a running node, over real HTTP.</summary>
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Cluster_show_lists_this_node_alone_up_and_its_own_leader_and_leave_or_down_say_not_in_a_cluster()
    {
        await using var node = await AdminNode.StartAsync();

        var cluster = await node.GetAsync<ClusterView>("api/cluster");

        var member = Assert.Single(cluster.Members);
        Assert.Equal(("test", "up", true, true, true), (member.Node, member.Status, member.Reachable, member.Leader, member.Self));
        Assert.Equal(member.Address, cluster.Self);
        Assert.Equal(cluster.Self, cluster.Leader);
        Assert.False(cluster.Clustered);
        Assert.StartsWith("not in a cluster", await node.ErrorAsync(HttpMethod.Post, "api/cluster/leave?address=akka://router@10.0.0.2:4053", HttpStatusCode.Conflict));
        Assert.StartsWith("not in a cluster", await node.ErrorAsync(HttpMethod.Post, "api/cluster/down?address=akka://router@10.0.0.2:4053", HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task Actor_hierarchy_shows_the_user_tree_to_the_requested_depth()
    {
        await using var node = await AdminNode.StartAsync();

        // The tree is read live; wait until every top-level actor of the node is in it.
        string[] expected = ["routing", "ingress", "bounces", "firewall-fw-a", "firewall-fw-b", "connector-out-a", "connector-out-b", "connector-partner"];
        ActorNode? full = null;
        await Eventually.TrueAsync(async () =>
        {
            full = await node.GetAsync<ActorNode>("api/actors");
            return expected.All(full.Children.Select(c => c.Name).Contains);
        }, TimeSpan.FromSeconds(10), () => $"children of /user: {string.Join(", ", full?.Children.Select(c => c.Name) ?? [])}");
        Assert.Equal("/user", full!.Path);
        var firewall = full.Children.Single(c => c.Name == "firewall-fw-a");
        Assert.Equal("/user/firewall-fw-a", firewall.Path);
        Assert.Contains(firewall.Children, w => w.Path == "/user/firewall-fw-a/worker-1");

        var shallow = await node.GetAsync<ActorNode>("api/actors?depth=1");
        var shallowFirewall = shallow.Children.Single(c => c.Name == "firewall-fw-a");
        Assert.Empty(shallowFirewall.Children);
        Assert.Equal(firewall.Children.Count, shallowFirewall.Hidden);

        var root = await node.GetAsync<ActorNode>("api/actors?depth=1&all=true");
        Assert.Equal(["system", "user"], root.Children.Select(c => c.Name).Where(n => n is "system" or "user").Order());
    }

    [Fact]
    public async Task Firewalls_list_every_firewall_with_health_connections_and_delivery_counts()
    {
        await using var node = await AdminNode.StartAsync();
        await node.SendMailAsync("fw-count", "someone@example.net");
        await Eventually.TrueAsync(() => node.FwA.Count + node.FwB.Count == 1, TimeSpan.FromSeconds(10), "the message was not delivered");

        FirewallView[] firewalls = [];
        await Eventually.TrueAsync(async () =>
        {
            firewalls = await node.GetAsync<FirewallView[]>("api/firewalls");
            return firewalls.Sum(f => f.Delivered) == 1;
        }, TimeSpan.FromSeconds(10), () => $"delivered counts {string.Join(",", firewalls.Select(f => f.Delivered))}");

        Assert.Equal(["fw-a", "fw-b"], firewalls.Select(f => f.Id));
        var a = firewalls[0];
        Assert.Equal(("test", "127.0.0.1", node.FwA.Port, "healthy", 0, 0, 0), (a.Node, a.Host, a.Port, a.State, a.ConsecutiveFailures, a.Failed, a.Busy));
        Assert.Equal(8, a.MaxConnections);
        Assert.Equal(["out-a", "partner"], a.Connectors);
        Assert.True(a.Since <= DateTimeOffset.UtcNow);

        var one = await node.GetAsync<FirewallView>("api/firewalls/fw-b?node=test");
        Assert.Equal("fw-b", one.Id);
    }

    [Fact]
    public async Task Firewall_trip_drain_and_reset_change_its_state_and_the_connectors_follow()
    {
        await using var node = await AdminNode.StartAsync();

        var tripped = await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-a/trip");
        Assert.Equal(("tripped", "tripped by operator", 1), (tripped.State, tripped.Reason, tripped.Trips));
        await Eventually.TrueAsync(async () => (await node.GetAsync<ConnectorView[]>("api/connectors")).Single(c => c.Id == "out-a").State == "down",
            TimeSpan.FromSeconds(10), "out-a did not go down with its only firewall");

        var drained = await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-b/drain?node=test");
        Assert.Equal("drained", drained.State);
        Assert.Equal("drained", (await node.GetAsync<FirewallView>("api/firewalls/fw-b")).State);

        var reset = await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-a/reset");
        Assert.Equal("healthy", reset.State);
        await Eventually.TrueAsync(async () => (await node.GetAsync<ConnectorView[]>("api/connectors")).Single(c => c.Id == "out-a").State == "usable",
            TimeSpan.FromSeconds(10), "out-a did not come back with its firewall");

        Assert.Contains("unknown firewall action 'explode'", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-a/explode", HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Connectors_show_address_spaces_state_and_backlog_and_suspend_and_resume_act_on_them()
    {
        await using var node = await AdminNode.StartAsync();

        var connectors = await node.GetAsync<ConnectorView[]>("api/connectors");
        Assert.Equal(["out-a", "out-b", "partner"], connectors.Select(c => c.Id));
        var partner = connectors[2];
        Assert.Equal(["partner.example;1", "*;5"], partner.AddressSpaces);
        Assert.Equal(["fw-a"], partner.Firewalls);
        Assert.Equal(("usable", 0), (partner.State, partner.Backlog));

        var suspended = await node.SendAsync<CommandResult>(HttpMethod.Post, "api/connectors/out-a/suspend");
        Assert.Equal("suspend", suspended.Command);
        Assert.Equal("suspended", (await node.GetAsync<ConnectorView[]>("api/connectors")).Single(c => c.Id == "out-a").State);
        await node.SendMailAsync("while-suspended", "someone@example.net");
        await node.FwB.WaitForCountAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(0, node.FwA.Count);

        await node.SendAsync<CommandResult>(HttpMethod.Post, "api/connectors/out-a/resume");
        Assert.Equal("usable", (await node.GetAsync<ConnectorView[]>("api/connectors")).Single(c => c.Id == "out-a").State);
    }

    [Fact]
    public async Task Queue_lists_deferred_mail_by_filter_and_retry_redirect_and_delete_act_on_it()
    {
        await using var node = await AdminNode.StartAsync("retry.schedule = [1h]");
        node.FwA.Behavior = FirewallBehavior.Reject451OnMail;
        // partner.example goes to the partner connector (fw-a) first: deferred there.
        var queueId = await node.SendMailAsync("q-deferred", "someone@partner.example");
        QueueView queue = new(0, []);
        await Eventually.TrueAsync(async () =>
        {
            queue = await node.GetAsync<QueueView>("api/queue?state=deferred");
            return queue.Entries.Any(e => e.QueueId == queueId);
        }, TimeSpan.FromSeconds(30), () => "the message was never deferred");
        var entry = queue.Entries.Single(e => e.QueueId == queueId);
        Assert.Equal(["someone@partner.example"], entry.Recipients);
        Assert.Equal("deferred", entry.State);
        Assert.True(entry.NextAttempt > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(50));
        Assert.Equal(0, (await node.GetAsync<QueueView>("api/queue?state=queued")).Count);
        Assert.Equal(0, (await node.GetAsync<QueueView>("api/queue?connector=out-b")).Count);
        Assert.Equal(1, (await node.GetAsync<QueueView>("api/queue?sender=sender@example.org")).Count);

        // Redirect fw-a's mail to out-b: the deferred message goes there now.
        var redirected = await node.SendAsync<CommandResult>(HttpMethod.Post, "api/firewalls/fw-a/redirect?to=out-b");
        Assert.True(redirected.Affected >= 1, $"affected {redirected.Affected}");
        await node.FwB.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        var connectors = await node.GetAsync<ConnectorView[]>("api/connectors");
        Assert.Equal("out-b", connectors.Single(c => c.Id == "partner").RedirectTo);
        Assert.Equal("out-b", connectors.Single(c => c.Id == "out-a").Redirects["fw-a"]);
        Assert.Equal(1, (await node.SendAsync<CommandResult>(HttpMethod.Delete, "api/firewalls/fw-a/redirect")).Affected);

        // A second deferred message: retried now (still refused), then deleted.
        var second = await node.SendMailAsync("q-delete", "other@partner.example");
        await Eventually.TrueAsync(async () => (await node.GetAsync<QueueView>("api/queue?state=deferred")).Entries.Any(e => e.QueueId == second),
            TimeSpan.FromSeconds(30), "the second message was never deferred");
        var mailsBefore = node.FwA.MailCommands;
        Assert.Equal(1, (await node.SendAsync<CommandResult>(HttpMethod.Post, $"api/queue/retry?id={second}")).Affected);
        await Eventually.TrueAsync(() => node.FwA.MailCommands > mailsBefore, TimeSpan.FromSeconds(30), "retry did not try the firewall again");
        await Eventually.TrueAsync(async () => (await node.GetAsync<QueueView>("api/queue?state=deferred")).Entries.Any(e => e.QueueId == second),
            TimeSpan.FromSeconds(30), "the retried message was not deferred again");
        var deleted = await node.SendAsync<CommandResult>(HttpMethod.Delete, $"api/queue/{second}?bounce=false");
        Assert.Equal("delete", deleted.Command);
        await Eventually.TrueAsync(() => !node.Router.Node.Spool.Contains(second), TimeSpan.FromSeconds(30), "the deleted message is still in the spool");
        Assert.Contains($"no message '{second}' in the queue", await node.ErrorAsync(HttpMethod.Delete, $"api/queue/{second}", HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Route_test_explains_matches_tiers_and_the_choice_and_follows_a_trip_to_the_next_tier()
    {
        await using var node = await AdminNode.StartAsync();

        var test = await node.GetAsync<RouteTest>($"api/route/{Uri.EscapeDataString("Bob@Partner.Example")}");
        var route = test.Route;
        Assert.Equal("partner.example", route.Domain);
        Assert.Equal(
            [("partner", "partner.example", 1, 1), ("out-a", "*", 1, 2), ("out-b", "*", 1, 2), ("partner", "*", 5, 0)],
            route.Matches.Select(m => (m.Connector, m.Pattern, m.Cost, m.Tier)));
        Assert.Equal([(1, "partner.example", 1), (2, "*", 1)], route.Tiers.Select(t => (t.Rank, t.Pattern, t.Cost)));
        Assert.Equal("partner", route.Chosen);
        Assert.Contains("only usable connector of tier 1", route.Verdict);
        Assert.Equal(["fw-a", "fw-b"], test.Firewalls.Select(f => f.Id));

        await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-a/trip");
        await Eventually.TrueAsync(async () => (await node.GetAsync<RouteTest>("api/route/bob@partner.example")).Route.Chosen == "out-b",
            TimeSpan.FromSeconds(10), "the route did not move to out-b in tier 2");
        var after = await node.GetAsync<RouteTest>("api/route/bob@partner.example");
        Assert.Equal("down", after.Route.Tiers[0].Connectors.Single().State);
        Assert.Equal("tripped", after.Firewalls.Single(f => f.Id == "fw-a").State);
        Assert.Contains("tier 1 down", after.Route.Verdict);

        await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-b/trip");
        await Eventually.TrueAsync(async () => (await node.GetAsync<RouteTest>("api/route/bob@partner.example")).Route.Chosen is null,
            TimeSpan.FromSeconds(10), "with every firewall tripped the route should park");
        Assert.StartsWith("parked", (await node.GetAsync<RouteTest>("api/route/bob@partner.example")).Route.Verdict);

        var bad = await node.GetAsync<RouteTest>("api/route/nobody");
        Assert.Null(bad.Route.Chosen);
        Assert.Contains("no domain", bad.Route.Error);
    }

    [Fact]
    public async Task Tail_streams_health_and_routing_events_as_server_sent_events()
    {
        await using var node = await AdminNode.StartAsync();
        using var response = await node.Http.GetAsync("api/tail", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        // The first comment line says the subscription is in place.
        Assert.StartsWith(": tailing test", await reader.ReadLineAsync());

        await node.SendAsync<FirewallView>(HttpMethod.Post, "api/firewalls/fw-a/trip");
        await node.SendAsync<CommandResult>(HttpMethod.Post, "api/connectors/out-b/suspend");

        var events = new List<TailEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!(events.Any(e => e is { Type: "firewall", Subject: "fw-a" } && e.Text.Contains("-> tripped")) &&
                 events.Any(e => e is { Type: "operator", Subject: "out-b" } && e.Text.StartsWith("connector suspended"))))
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            Assert.NotNull(line);
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(JsonSerializer.Deserialize<TailEvent>(line["data: ".Length..], AdminJson.Options)!);
        }
        var trip = events.First(e => e.Type == "firewall");
        Assert.Equal("tripped", trip.Event!.Value.GetProperty("to").GetString());
        Assert.Contains(events, e => e is { Type: "connector-down", Subject: "out-a" } or { Type: "connector-down", Subject: "partner" });
    }

    [Fact]
    public async Task Track_answers_a_messages_history_by_queue_id_and_metrics_serve_prometheus_text_that_moves_with_the_mail()
    {
        await using var node = await AdminNode.StartAsync();
        var queueId = await node.SendMailAsync("tracked", "someone@example.net");
        await Eventually.TrueAsync(() => node.FwA.Count + node.FwB.Count == 1, TimeSpan.FromSeconds(10), "the message was not delivered");

        var (status, metrics) = await node.RawAsync(HttpMethod.Get, "metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches(@"(?m)^router_messages_accepted_total 1$", metrics);

        var history = "";
        await Eventually.TrueAsync(async () =>
        {
            (var code, history) = await node.RawAsync(HttpMethod.Get, $"api/track/{Uri.EscapeDataString(queueId)}");
            return code == HttpStatusCode.OK && history.Contains("\"delivered\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "no delivered event tracked");
        using var events = JsonDocument.Parse(history);
        Assert.Equal(new[] { "received", "routed", "attempt", "delivered" },
            events.RootElement.EnumerateArray().Select(e => e.GetProperty("event").GetString() ?? "").ToArray());
        Assert.All(events.RootElement.EnumerateArray(), e => Assert.Equal(queueId, e.GetProperty("queueId").GetString()));

        Assert.StartsWith("no tracking events for 'NOSUCHID'", await node.ErrorAsync(HttpMethod.Get, "api/track/NOSUCHID", HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Unknown_ids_and_routes_get_404_and_bad_parameters_400_each_with_a_one_line_json_error()
    {
        await using var node = await AdminNode.StartAsync();

        Assert.Equal("unknown firewall 'fw-x'", await node.ErrorAsync(HttpMethod.Get, "api/firewalls/fw-x", HttpStatusCode.NotFound));
        Assert.Equal("unknown firewall 'fw-x'", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-x/trip", HttpStatusCode.NotFound));
        Assert.StartsWith("unknown node 'other'", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-a/trip?node=other", HttpStatusCode.NotFound));
        Assert.Equal("unknown connector 'nope'", await node.ErrorAsync(HttpMethod.Post, "api/connectors/nope/suspend", HttpStatusCode.NotFound));
        Assert.Equal("unknown connector 'nope'", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-a/redirect?to=nope", HttpStatusCode.NotFound));
        Assert.Equal("unknown connector 'nope'", await node.ErrorAsync(HttpMethod.Get, "api/queue?connector=nope", HttpStatusCode.NotFound));
        Assert.Equal("no message 'NOSUCHID' in the queue", await node.ErrorAsync(HttpMethod.Post, "api/queue/retry?id=NOSUCHID", HttpStatusCode.NotFound));
        Assert.StartsWith("no such route", await node.ErrorAsync(HttpMethod.Get, "api/nothing-here", HttpStatusCode.NotFound));
        Assert.StartsWith("unknown queue state 'lost'", await node.ErrorAsync(HttpMethod.Get, "api/queue?state=lost", HttpStatusCode.BadRequest));
        Assert.StartsWith("redirect needs", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-a/redirect", HttpStatusCode.BadRequest));
        await node.ErrorAsync(HttpMethod.Get, "api/actors?depth=deep", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task With_a_token_configured_every_request_must_carry_it_even_on_loopback()
    {
        await using var node = await AdminNode.StartAsync($"admin.token = \"{AdminNode.Token}\"");

        Assert.StartsWith("unauthorized", await node.ErrorAsync(HttpMethod.Get, "api/firewalls", HttpStatusCode.Unauthorized));
        Assert.StartsWith("unauthorized", await node.ErrorAsync(HttpMethod.Get, "api/tail", HttpStatusCode.Unauthorized));
        node.Http.DefaultRequestHeaders.Authorization = new("Bearer", AdminNode.Token + "x");
        Assert.StartsWith("unauthorized", await node.ErrorAsync(HttpMethod.Post, "api/firewalls/fw-a/trip", HttpStatusCode.Unauthorized));
        Assert.Equal("healthy", (await node.Router.Node.System.ActorSelection("/user/firewall-fw-a")
            .Ask<Router.Messages.Health.FirewallSnapshot>(Router.Messages.Health.GetFirewallSnapshot.Instance, TimeSpan.FromSeconds(5))).State);

        node.Http.DefaultRequestHeaders.Authorization = new("Bearer", AdminNode.Token);
        Assert.Equal(2, (await node.GetAsync<FirewallView[]>("api/firewalls")).Length);
    }

    [Fact]
    public async Task A_node_whose_endpoint_is_not_on_loopback_refuses_to_start_without_a_token()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        var options = RouterConfig.ToOptions(RouterConfig.Parse($$"""
            router {
              spool.path = "{{TestRouter.NewSpoolPath()}}"
              smtp.listen = ["127.0.0.1:0"]
              admin.listen = "127.0.0.1:0"
              {{TestRouter.EqualCost(fw)}}
            }
            """));
        // Options built in code skip the config validation; the endpoint checks again before binding.
        var exposed = options with { Admin = new AdminOptions { Listen = IPEndPoint.Parse("0.0.0.0:0") } };

        var error = await Assert.ThrowsAsync<RouterConfigException>(() => RouterNode.StartAsync(exposed));

        Assert.Equal("router.admin.token", error.Key);
        Assert.Contains("not a loopback address", error.Message);
    }

    [Fact]
    public async Task The_bound_address_is_discoverable_and_logged_at_startup_and_nothing_listens_when_disabled()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        var config = $$"""
            router {
              spool.path = "{{TestRouter.NewSpoolPath()}}"
              smtp.listen = ["127.0.0.1:0"]
              admin.listen = "127.0.0.1:0"
              {{TestRouter.EqualCost(fw)}}
            }
            """;
        var logs = new LogCollector();
        await using (var node = await RouterNode.StartAsync(RouterConfig.ToOptions(RouterConfig.Parse(config)), logging => logging.AddProvider(logs)))
        {
            var endpoint = node.AdminEndpoint;
            Assert.NotNull(endpoint);
            Assert.NotEqual(0, endpoint.Port);
            Assert.Contains($"Admin endpoint listening on http://{endpoint}", logs.Lines);
        }

        var disabled = RouterConfig.ToOptions(RouterConfig.Parse(config.Replace("admin.listen = \"127.0.0.1:0\"", "admin.enabled = off", StringComparison.Ordinal)));
        await using var quiet = await RouterNode.StartAsync(disabled);
        Assert.Null(quiet.AdminEndpoint);
    }

    private sealed class LogCollector : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public string Lines => string.Join("\n", _lines);

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
