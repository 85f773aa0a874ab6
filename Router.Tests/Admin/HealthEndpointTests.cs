using System.Net;
using Router.Node.Admin;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Admin;

/// <summary>
/// Issue 15: <c>GET /health/live</c> and <c>GET /health/ready</c> over real HTTP, without the
/// admin token, against real nodes: ready flips under back pressure and when the node leaves
/// its cluster, live stays up.
/// </summary>
public sealed class HealthEndpointTests
{
    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(TestRouter router, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync($"http://{router.Node.AdminEndpoint}{path}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitForAsync(TestRouter router, string path, HttpStatusCode expected, TimeSpan timeout)
    {
        (HttpStatusCode Status, string Body) last = default;
        await Eventually.TrueAsync(async () => (last = await GetAsync(router, path)).Status == expected, timeout,
            () => $"GET {path}: {(int)last.Status} {last.Body}, expected {(int)expected}");
    }

    [Fact]
    public async Task Both_answer_healthy_without_the_token_that_every_other_route_needs_and_say_nothing_else()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync($$"""
            admin.token = "{{AdminNode.Token}}"
            {{TestRouter.EqualCost(fw)}}
            """);

        Assert.Equal((HttpStatusCode.OK, "Healthy"), await GetAsync(router, HealthEndpoints.Live));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await GetAsync(router, HealthEndpoints.Ready));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(router, "/api")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(router, "/health/other")).Status);
    }

    [Fact]
    public async Task Ready_is_503_under_back_pressure_while_live_stays_200_and_ready_comes_back_when_the_queue_drains()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await fw.StopAsync();
        await using var router = await TestRouter.StartAsync($$"""
            spool { max-messages = 3 }
            {{TestRouter.EqualCost(fw)}}
            """);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(router, HealthEndpoints.Ready)).Status);

        var replies = await TestMail.SendAsync(router.Smtp, Enumerable.Range(0, 3).Select(i => TestMail.Build($"ready-bp-{i}")));
        Assert.All(replies, r => Assert.StartsWith("2.0.0", r));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await GetAsync(router, HealthEndpoints.Ready));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(router, HealthEndpoints.Live)).Status);

        await fw.RestartAsync();
        await fw.WaitForCountAsync(3, TimeSpan.FromSeconds(30));
        await WaitForAsync(router, HealthEndpoints.Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Ready_is_503_once_the_node_is_leaving_its_cluster_while_live_stays_200()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await fw.StopAsync();
        // A cluster of one: the mail it cannot deliver has no peer to go to, so it stays leaving
        // (listener closed) until the drain timeout, long enough to be observed.
        await using var router = await TestRouter.StartAsync($$"""
            cluster { enabled = on, hostname = "127.0.0.1", port = 0, drain-timeout = 2m }
            {{TestRouter.EqualCost(fw)}}
            """);
        await WaitForAsync(router, HealthEndpoints.Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(40));
        var replies = await TestMail.SendAsync(router.Smtp, [TestMail.Build("ready-leave")]);
        Assert.StartsWith("2.0.0", Assert.Single(replies));

        using (var http = new HttpClient())
        using (var leave = await http.PostAsync($"http://{router.Node.AdminEndpoint}/api/cluster/leave", null))
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);

        await WaitForAsync(router, HealthEndpoints.Ready, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(router, HealthEndpoints.Live)).Status);
    }
}
