using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery;
using Microsoft.AspNetCore.Http;
using Router.Node.Hosting;
using Router.Testing.Tls;

namespace Router.Tests.Cluster;

/// <summary>
/// Kubernetes API discovery for Cluster Bootstrap (issue 15): which pods count, and the real HTTPS call a pod makes to
/// its API server (path, label selector, bearer token, the cluster CA as the only trust anchor), against a local server.
/// </summary>
public sealed class KubernetesPodDiscoveryTests
{
    private const string PodList = """
        {
          "kind": "PodList",
          "items": [
            { "metadata": { "name": "router-0" }, "status": { "phase": "Running", "podIP": "10.1.0.10" },
              "spec": { "containers": [ { "name": "router", "ports": [ { "name": "smtp", "containerPort": 2525 }, { "name": "management", "containerPort": 8558 } ] } ] } },
            { "metadata": { "name": "router-1" }, "status": { "phase": "Pending" },
              "spec": { "containers": [ { "name": "router", "ports": [ { "name": "management", "containerPort": 8558 } ] } ] } },
            { "metadata": { "name": "router-2", "deletionTimestamp": "2026-12-03T08:00:00Z" }, "status": { "phase": "Running", "podIP": "10.1.0.12" },
              "spec": { "containers": [ { "name": "router", "ports": [ { "name": "management", "containerPort": 8558 } ] } ] } },
            { "metadata": { "name": "other" }, "status": { "phase": "Running", "podIP": "10.1.0.13" },
              "spec": { "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 80 } ] } ] } },
            { "metadata": { "name": "router-3" }, "status": { "phase": "Running", "podIP": "10.1.0.14" },
              "spec": { "containers": [ { "name": "router", "ports": [ { "name": "management", "containerPort": 8600 } ] } ] } }
          ]
        }
        """;

    [Fact]
    public void Only_running_pods_that_are_not_being_deleted_and_have_the_named_port_are_targets()
    {
        using var pods = JsonDocument.Parse(PodList);
        var targets = KubernetesPods.Targets(pods.RootElement, "management");
        Assert.Equal([("10.1.0.10", (int?)8558), ("10.1.0.14", 8600)], targets.Select(t => (t.Host, t.Port)));
        Assert.All(targets, t => Assert.Equal(IPAddress.Parse(t.Host), t.Address));
    }

    [Fact]
    public async Task A_lookup_lists_the_namespace_pods_by_label_with_the_token_and_trusts_only_the_cluster_ca()
    {
        using var ca = TestCertificates.CreateCa("test kubernetes ca");
        using var serverCertificate = TestCertificates.CreateLeaf(ca, "localhost");
        var caPath = TestCertificates.WritePem(ca);
        var tokenPath = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenPath, "token-123\n");
        var requests = new List<(string Path, string Query, string Authorization)>();
        await using var api = await FakeKubernetesApi.StartAsync(serverCertificate, context =>
        {
            lock (requests)
                requests.Add((context.Request.Path, context.Request.QueryString.Value ?? string.Empty, context.Request.Headers.Authorization.ToString()));
            return Results.Text(PodList, "application/json");
        });
        using var system = ActorSystem.Create("discovery-test");
        try
        {
            var discovery = Discovery(system, api.Url, tokenPath, caPath);
            var resolved = await discovery.Lookup(new Lookup("router", "management"), TimeSpan.FromSeconds(30));

            Assert.Equal([("10.1.0.10", (int?)8558), ("10.1.0.14", 8600)], resolved.Addresses.Select(t => (t.Host, t.Port)));
            var request = Assert.Single(requests);
            Assert.Equal("/api/v1/namespaces/mail/pods", request.Path);
            Assert.Equal("?labelSelector=app%3Drouter", request.Query);
            Assert.Equal("Bearer token-123", request.Authorization);
        }
        finally
        {
            await system.Terminate();
            File.Delete(caPath);
            File.Delete(tokenPath);
        }
    }

    [Fact]
    public async Task An_api_server_whose_certificate_the_cluster_ca_did_not_sign_is_refused()
    {
        using var ca = TestCertificates.CreateCa("test kubernetes ca");
        using var impostor = TestCertificates.CreateSelfSigned("localhost");
        var caPath = TestCertificates.WritePem(ca);
        var tokenPath = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenPath, "token-123");
        var asked = 0;
        await using var api = await FakeKubernetesApi.StartAsync(impostor, _ =>
        {
            Interlocked.Increment(ref asked);
            return Results.Text(PodList, "application/json");
        });
        using var system = ActorSystem.Create("discovery-test");
        try
        {
            var discovery = Discovery(system, api.Url, tokenPath, caPath);
            await Assert.ThrowsAsync<HttpRequestException>(() => discovery.Lookup(new Lookup("router", "management"), TimeSpan.FromSeconds(30)));
            Assert.Equal(0, asked);
        }
        finally
        {
            await system.Terminate();
            File.Delete(caPath);
            File.Delete(tokenPath);
        }
    }

    private static KubernetesPodDiscovery Discovery(ActorSystem system, string apiUrl, string tokenPath, string caPath) =>
        new((ExtendedActorSystem)system, ConfigurationFactory.ParseString($$"""
            api-url = "{{apiUrl}}"
            token-path = {{JsonSerializer.Serialize(tokenPath)}}
            ca-path = {{JsonSerializer.Serialize(caPath)}}
            namespace-path = "/nonexistent/namespace"
            pod-namespace = "mail"
            pod-label-selector = "app={0}"
            """));
}
