using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Router.Node.Admin;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Admin;

/// <summary>
/// A running node with two fake firewalls and three connectors, and an HTTP client of its admin
/// endpoint (real Kestrel, real sockets). For <c>partner.example</c>: tier 1 <c>partner</c> (fw-a),
/// tier 2 <c>out-a</c> (fw-a) and <c>out-b</c> (fw-b) (<c>fallback = on</c>: partner mail may fall back to "*");
/// everything else: <c>out-a</c>, <c>out-b</c>.
/// </summary>
internal sealed class AdminNode : IAsyncDisposable
{
    public const string Token = "test-admin-token-0123456789";

    private AdminNode(TestRouter router, FakeFirewall a, FakeFirewall b, HttpClient http)
    {
        Router = router;
        FwA = a;
        FwB = b;
        Http = http;
    }

    public TestRouter Router { get; }
    public FakeFirewall FwA { get; }
    public FakeFirewall FwB { get; }
    public HttpClient Http { get; }
    public IPEndPoint Endpoint => Router.Node.AdminEndpoint!;
    public string EndpointText => $"{Endpoint.Address}:{Endpoint.Port}";

    /// <param name="extra">More HOCON inside <c>router { }</c> (a token, retry schedule...).</param>
    /// <param name="sendToken">Whether the HTTP client carries <see cref="Token"/>.</param>
    public static async Task<AdminNode> StartAsync(string extra = "", bool sendToken = false)
    {
        var a = await FakeFirewall.StartAsync("fw-a");
        var b = await FakeFirewall.StartAsync("fw-b");
        var router = await TestRouter.StartAsync($$"""
            {{extra}}
            firewalls {
              fw-a { host = "127.0.0.1", port = {{a.Port}} }
              fw-b { host = "127.0.0.1", port = {{b.Port}} }
            }
            connectors {
              out-a { address-spaces = ["*;1"], firewalls = [fw-a] }
              out-b { address-spaces = ["*;1"], firewalls = [fw-b] }
              partner { address-spaces = ["partner.example;1", "*;5"], firewalls = [fw-a], fallback = on }
            }
            """);
        var endpoint = router.Node.AdminEndpoint ?? throw new InvalidOperationException("admin endpoint not bound");
        var http = new HttpClient { BaseAddress = new Uri($"http://{endpoint.Address}:{endpoint.Port}/"), Timeout = TimeSpan.FromSeconds(30) };
        if (sendToken)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new AdminNode(router, a, b, http);
    }

    public async Task<T> GetAsync<T>(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)!;
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path)
    {
        var (status, body) = await RawAsync(method, path);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {body}");
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)!;
    }

    public async Task<(HttpStatusCode Status, string Body)> RawAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The one-line error of a failed request, after checking its status.</summary>
    public async Task<string> ErrorAsync(HttpMethod method, string path, HttpStatusCode expected)
    {
        var (status, body) = await RawAsync(method, path);
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status} {body}");
        var error = JsonSerializer.Deserialize<ApiError>(body, AdminJson.Options)!.Error;
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
        return error;
    }

    public async Task<string> SendMailAsync(string id, string to)
    {
        var reply = (await TestMail.SendAsync(Router.Smtp, [TestMail.Build(id, to)], to)).Single();
        return reply.Split(' ').Last();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Router.DisposeAsync();
        await FwA.DisposeAsync();
        await FwB.DisposeAsync();
    }
}
