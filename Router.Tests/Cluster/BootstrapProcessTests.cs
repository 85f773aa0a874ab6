using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Tls;
using Router.Tests.Integration;
using Xunit.Abstractions;

namespace Router.Tests.Cluster;

/// <summary>
/// Cluster Bootstrap across real processes (issue 15): three `router` processes with no seed nodes, each
/// serving its Akka.Management endpoint, find each other through config discovery and form one cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class BootstrapProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Three_processes_without_seed_nodes_form_one_cluster_through_bootstrap_with_config_discovery()
    {
        var management = FreePorts(3);
        var endpoints = string.Join(", ", management.Select(port => $"\"127.0.0.1:{port}\""));
        await FormClusterAsync(management, """
            discovery = config
            config.endpoints = [ENDPOINTS]
            """.Replace("ENDPOINTS", endpoints, StringComparison.Ordinal), string.Empty, "ConfigServiceDiscovery");
    }

    [Fact]
    public async Task Three_processes_form_one_cluster_through_bootstrap_with_kubernetes_api_discovery()
    {
        // The API server a pod would ask, here on localhost with a CA of the test's own; it lists three running
        // pods at 127.0.0.1 whose container ports named "management" are the three nodes' endpoints.
        var management = FreePorts(3);
        using var ca = TestCertificates.CreateCa("test kubernetes ca");
        using var serverCertificate = TestCertificates.CreateLeaf(ca, "localhost");
        var caPath = TestCertificates.WritePem(ca);
        var tokenPath = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenPath, "pod-token");
        var selectors = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var api = await FakeKubernetesApi.StartAsync(serverCertificate, context =>
        {
            selectors.Add(context.Request.Query["labelSelector"].ToString());
            return Results.Text(FakeKubernetesApi.RunningPods(management), "application/json");
        });
        try
        {
            await FormClusterAsync(management, "discovery = kubernetes", $$"""
                akka.discovery.kubernetes-pods {
                  api-url = "{{api.Url}}"
                  token-path = {{JsonSerializer.Serialize(tokenPath)}}
                  ca-path = {{JsonSerializer.Serialize(caPath)}}
                }
                """, "KubernetesPodDiscovery");
            Assert.NotEmpty(selectors);
            Assert.All(selectors, selector => Assert.Equal("app=router-test", selector));
        }
        finally
        {
            File.Delete(caPath);
            File.Delete(tokenPath);
        }
    }

    /// <summary>Starts three nodes with bootstrap on and <paramref name="discovery"/>, and waits for one cluster of three Up members.</summary>
    private async Task FormClusterAsync(int[] management, string discovery, string akka, string discoveryClass)
    {
        await using var firewall = await FakeFirewall.StartAsync("fw-a");
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var configs = Enumerable.Range(1, 3).Select(n => WriteConfig(dir, n, management[n - 1], discovery, akka, firewall.Port)).ToArray();
        var nodes = new List<RouterProcess>();
        try
        {
            // All three at once, as an orchestrator starts them: none can know which comes up first.
            nodes.AddRange(await Task.WhenAll(configs.Select(c => RouterProcess.StartAsync(c, TimeSpan.FromSeconds(60)))));
            foreach (var node in nodes)
                await Eventually.TrueAsync(() => AdminLine().IsMatch(node.Output), TimeSpan.FromSeconds(30), () => node.Output);
            var clients = nodes.Select(node => new HttpClient { BaseAddress = new Uri(AdminLine().Match(node.Output).Groups[1].Value) }).ToArray();
            try
            {
                // Every node sees the same three members Up: one cluster, not three of one.
                await Eventually.TrueAsync(
                    async () => (await Task.WhenAll(clients.Select(UpMembersAsync))).All(up => up.Count == 3),
                    TimeSpan.FromSeconds(90),
                    () => string.Join("\n", nodes.Select((node, i) => $"--- node{i + 1}\n{node.Output}")));
                var views = await Task.WhenAll(clients.Select(UpMembersAsync));
                Assert.All(views, view => Assert.Equal(views[0].Order(), view.Order()));
                output.WriteLine($"Up on every node: {string.Join(", ", views[0].Order())}");

                // It was Cluster Bootstrap, through the discovery configured, that formed it.
                Assert.All(nodes, node => Assert.Contains($"Bootstrap using default `akka.discovery` method: {discoveryClass}", node.Output, StringComparison.Ordinal));
            }
            finally
            {
                foreach (var client in clients)
                    client.Dispose();
            }
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A clustered node with no seed nodes and bootstrap on, its management endpoint on <paramref name="managementPort"/>.</summary>
    private static string WriteConfig(string dir, int n, int managementPort, string discovery, string akka, int firewallPort)
    {
        var path = Path.Combine(dir, $"node{n}.conf");
        File.WriteAllText(path, $$"""
            router {
              node-name = "node{{n}}"
              spool.path = "{{Path.Combine(dir, $"node{n}", "spool")}}"
              admin.listen = "127.0.0.1:0"
              smtp {
                listen = ["127.0.0.1:0"]
                hostname = "node{{n}}.router.test"
              }
              firewalls { fw-a { host = "127.0.0.1", port = {{firewallPort}} } }
              connectors { outbound { address-spaces = ["*;1"], firewalls = [fw-a] } }
              cluster {
                enabled = on
                hostname = "127.0.0.1"
                # Bootstrap joins the nodes by the addresses their management endpoints report: any free port will do.
                port = 0
                bootstrap {
                  enabled = on
                  service-name = "router-test"
                  required-contact-points = 3
                  management { hostname = "127.0.0.1", port = {{managementPort}} }
                  {{discovery}}
                }
              }
            }
            {{akka}}
            """);
        return path;
    }

    /// <summary>The addresses of the members Up as one node's admin endpoint (GET /api/cluster) reports them.</summary>
    private static async Task<List<string>> UpMembersAsync(HttpClient http)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("/api/cluster"));
        return [.. json.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => string.Equals(m.GetProperty("status").GetString(), "up", StringComparison.OrdinalIgnoreCase))
            .Select(m => m.GetProperty("address").GetString()!)];
    }

    [GeneratedRegex(@"Admin endpoint listening on (http://\S+)")]
    private static partial Regex AdminLine();

    private static int[] FreePorts(int count) => Router.Testing.FreePorts.Pick(count);
}
