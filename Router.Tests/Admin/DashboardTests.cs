using System.Net;
using Microsoft.Playwright;
using Router.Node.Admin;
using Router.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Router.Tests.Admin;

/// <summary>
/// The dashboard at <c>/</c> in a real headless Chromium against a real node with two fake
/// firewalls: tiles for each connector's firewalls, live state changes, the token rule.
/// </summary>
public sealed class DashboardTests(ITestOutputHelper output)
{
    private static readonly float Timeout = 30_000;

    /// <summary>A stopped firewall is noticed by the healthy-state probe, without mail to deliver.</summary>
    private const string FastProbe = "firewall-defaults.healthy-probe-interval = 300ms";

    private static ILocator Tiles(IPage page, string firewall) => page.Locator($".tile[data-firewall=\"{firewall}\"]");

    [Fact]
    public async Task Firewall_tiles_turn_tripped_live_when_a_firewall_stops()
    {
        await using var node = await AdminNode.StartAsync(FastProbe);
        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();

        await page.GotoAsync(node.Http.BaseAddress!.ToString());

        // fw-a serves two connectors (out-a and partner), fw-b one; each connector shows its address spaces.
        await Expect(Tiles(page, "fw-a")).ToHaveCountAsync(2, new() { Timeout = Timeout });
        await Expect(Tiles(page, "fw-b")).ToHaveCountAsync(1);
        await Expect(Tiles(page, "fw-b")).ToHaveAttributeAsync("data-state", "healthy", new() { Timeout = Timeout });
        await Expect(Tiles(page, "fw-b")).ToHaveAttributeAsync("data-node", "test");
        await Expect(page.Locator("#login")).ToBeHiddenAsync();
        await Expect(page.Locator(".connector[data-connector=\"partner\"] .space")).ToHaveTextAsync(["partner.example;1", "*;5"]);
        await Expect(page.Locator("#nodes tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#queue-chart polyline")).ToHaveCountAsync(1);
        await Expect(page.Locator("#rate-chart polyline")).ToHaveCountAsync(2);
        // The event stream is open: a transition from now on is shown as it happens.
        await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-connection", "live", new() { Timeout = Timeout });

        await node.SendMailAsync("dash-1", "someone@example.net");
        await node.FwB.StopAsync();

        await Expect(Tiles(page, "fw-b")).ToHaveAttributeAsync("data-state", "tripped", new() { Timeout = Timeout });
        await Expect(page.Locator("#events li[data-type=\"firewall\"][data-subject=\"fw-b\"][data-to=\"tripped\"]").First)
            .ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator(".connector[data-connector=\"out-b\"]")).ToHaveAttributeAsync("data-state", "down", new() { Timeout = Timeout });
        foreach (var tile in await Tiles(page, "fw-a").AllAsync())
            await Expect(tile).ToHaveAttributeAsync("data-state", "healthy");

        var screenshot = DashboardBrowser.ScreenshotPath("dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"dashboard screenshot: {screenshot}");
        Console.WriteLine($"dashboard screenshot: {screenshot}");
        Assert.True(browser.Errors.Count == 0, string.Join("\n", browser.Errors));
    }

    [Fact]
    public async Task With_a_token_the_page_works_once_given_it_and_the_api_refuses_requests_without_it()
    {
        await using var node = await AdminNode.StartAsync($"admin.token = \"{AdminNode.Token}\"");
        var error = await node.ErrorAsync(HttpMethod.Get, "api/firewalls", HttpStatusCode.Unauthorized);
        Assert.StartsWith("unauthorized", error);
        await node.ErrorAsync(HttpMethod.Get, "api/throughput", HttpStatusCode.Unauthorized);
        // The page itself carries no data: it loads, and asks for the token.
        var (status, html) = await node.RawAsync(HttpMethod.Get, "");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("dashboard.js", html);

        await using var browser = await DashboardBrowser.LaunchAsync();
        var root = node.Http.BaseAddress!.ToString();

        // Without a token: the login form, no data.
        var page = await browser.NewPageAsync();
        await page.GotoAsync(root);
        await Expect(page.Locator("#login")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator(".tile")).ToHaveCountAsync(0);
        // A wrong token is refused and said so.
        await page.Locator("#token-input").FillAsync("wrong-token");
        await page.Locator("#login-form button").ClickAsync();
        await Expect(page.Locator("#login-error")).ToContainTextAsync("refused", new() { Timeout = Timeout });
        // The right one opens the dashboard.
        await page.Locator("#token-input").FillAsync(AdminNode.Token);
        await page.Locator("#login-form button").ClickAsync();
        await Expect(Tiles(page, "fw-b")).ToHaveAttributeAsync("data-state", "healthy", new() { Timeout = Timeout });
        await Expect(page.Locator("#login")).ToBeHiddenAsync();
        await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-connection", "live", new() { Timeout = Timeout });

        // Given once in the address: kept in the tab, gone from the address bar, sent on every call.
        var linked = await browser.NewPageAsync();
        await linked.GotoAsync($"{root}#token={AdminNode.Token}");
        await Expect(Tiles(linked, "fw-a")).ToHaveCountAsync(2, new() { Timeout = Timeout });
        await Expect(linked.Locator("#connection")).ToHaveAttributeAsync("data-connection", "live", new() { Timeout = Timeout });
        Assert.DoesNotContain(AdminNode.Token, linked.Url);
        Assert.Equal(AdminNode.Token, await linked.EvaluateAsync<string>("() => sessionStorage.getItem('router.admin.token')"));
        await linked.ReloadAsync();
        await Expect(Tiles(linked, "fw-a")).ToHaveCountAsync(2, new() { Timeout = Timeout });

        var query = await browser.NewPageAsync();
        await query.GotoAsync($"{root}?token={AdminNode.Token}");
        await Expect(Tiles(query, "fw-b")).ToHaveCountAsync(1, new() { Timeout = Timeout });
        Assert.DoesNotContain(AdminNode.Token, query.Url);

        Assert.True(browser.Errors.Count == 0, string.Join("\n", browser.Errors));
    }

    [Fact]
    public async Task The_page_is_served_from_the_executable_with_a_strict_content_security_policy()
    {
        await using var node = await AdminNode.StartAsync();
        foreach (var (path, type) in new[] { ("", "text/html"), ("dashboard.js", "text/javascript"), ("dashboard.css", "text/css") })
        {
            using var response = await node.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy);
            Assert.Contains("connect-src 'self'", policy);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, $"/{path} is empty");
        }
        // The chart's history: a sample at once, then one every interval.
        var series = await node.GetAsync<ThroughputSeries>("api/throughput");
        Assert.Equal(DashboardSamples.Interval.TotalSeconds, series.IntervalSeconds);
        Assert.NotEmpty(series.Samples);
        await node.SendMailAsync("through-1", "someone@example.net");
        await Eventually.TrueAsync(async () => (await node.GetAsync<ThroughputSeries>("api/throughput")).Samples[^1].Accepted == 1,
            TimeSpan.FromSeconds(30), "the accepted message never showed in /api/throughput");
    }
}
