using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Router.Tests.Cluster;

/// <summary>A local HTTPS server standing in for the Kubernetes API server's pod list (<c>GET /api/v1/namespaces/{ns}/pods</c>).</summary>
internal sealed class FakeKubernetesApi(WebApplication app, string url) : IAsyncDisposable
{
    /// <summary>https://localhost:port, as a pod's discovery is told (akka.discovery.kubernetes-pods.api-url).</summary>
    public string Url { get; } = url;

    public static async Task<FakeKubernetesApi> StartAsync(X509Certificate2 certificate, Func<HttpContext, IResult> pods)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/api/v1/namespaces/{ns}/pods", pods);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new FakeKubernetesApi(app, $"https://localhost:{bound.Port}");
    }

    /// <summary>A pod list of running pods at 127.0.0.1, each with its container port "management".</summary>
    public static string RunningPods(IEnumerable<int> managementPorts) =>
        $$"""{ "kind": "PodList", "items": [ {{string.Join(", ", managementPorts.Select((port, i) => $$"""
            { "metadata": { "name": "router-{{i}}" }, "status": { "phase": "Running", "podIP": "127.0.0.1" },
              "spec": { "containers": [ { "name": "router", "ports": [ { "name": "management", "containerPort": {{port}} } ] } ] } }
            """))}} ] }""";

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
