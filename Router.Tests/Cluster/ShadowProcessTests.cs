using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;
using Xunit.Abstractions;

namespace Router.Tests.Cluster;

/// <summary>
/// Shadow redundancy across real processes: three `router` processes configured like hocon/cluster/node*.conf,
/// the node that accepted the mail killed with SIGKILL while the firewalls stall, the survivors deliver it all.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ShadowProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mail_accepted_by_a_node_killed_with_kill_9_is_delivered_by_the_two_survivors()
    {
        const int total = 100;
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        fwA.Behavior = FirewallBehavior.Reject451OnMail;
        fwB.Behavior = FirewallBehavior.Reject451OnMail;

        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var ports = FreePorts(3);
        var configs = Enumerable.Range(1, 3).Select(n => WriteConfig(dir, n, ports, fwA, fwB)).ToArray();
        var nodes = new List<RouterProcess>();
        try
        {
            nodes.Add(await RouterProcess.StartAsync(configs[0], TimeSpan.FromSeconds(60)));
            nodes.AddRange(await Task.WhenAll(configs.Skip(1).Select(c => RouterProcess.StartAsync(c, TimeSpan.FromSeconds(60)))));
            var accepting = nodes[0];
            var admin = AdminLine().Match(accepting.Output);
            Assert.True(admin.Success, accepting.Output);
            using var http = new HttpClient { BaseAddress = new Uri(admin.Groups[1].Value) };
            await Eventually.TrueAsync(async () => await UpMembersAsync(http) == 3, TimeSpan.FromSeconds(60),
                () => $"the cluster did not form:\n{accepting.Output}");

            // shadow = required: every 250 means a copy is fsync'd on one of the other two.
            var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"kill9-{i:D3}")).ToArray();
            var replies = (await Task.WhenAll(Enumerable.Range(0, 4).Select(c => TestMail.SendAsync(accepting.Smtp, messages.Where((_, i) => i % 4 == c)))))
                .SelectMany(r => r).ToList();
            Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as ", r));
            Assert.Equal(0, fwA.Count + fwB.Count);

            await accepting.KillAsync();
            fwA.Behavior = FirewallBehavior.Accept;
            fwB.Behavior = FirewallBehavior.Accept;

            // Everything the firewalls record from now on comes from the survivors: the accepting node is dead.
            var survivors = nodes.Skip(1).ToArray();
            await Eventually.TrueAsync(() => DistinctIds(fwA, fwB).Count == total, TimeSpan.FromSeconds(90),
                () => $"delivered {DistinctIds(fwA, fwB).Count} of {total}\n--- node2\n{survivors[0].Output}\n--- node3\n{survivors[1].Output}");
            var ids = fwA.Messages.Concat(fwB.Messages).Select(m => TestMail.IdOf(m.Data)).ToList();
            var duplicates = ids.GroupBy(id => id).Count(g => g.Count() > 1);
            output.WriteLine($"delivered by the survivors: {ids.Count} messages, {ids.Distinct().Count()} distinct, {duplicates} duplicated");
            Assert.Equal(messages.Select(TestMail.IdOf).Order(), DistinctIds(fwA, fwB).Order());
            Assert.All(survivors, s => Assert.Contains("Promoted", s.Output, StringComparison.Ordinal));
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

    /// <summary>hocon/cluster/nodeN.conf with free ports, a spool under <paramref name="dir"/> and test timings.</summary>
    private static string WriteConfig(string dir, int n, int[] ports, FakeFirewall fwA, FakeFirewall fwB)
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
                relay.allowed-networks = ["127.0.0.0/8"]
              }
              retry.schedule = [2s]
              firewall-defaults { connect-timeout = 1s, open-for = 1s, max-open-for = 4s, probe-interval = 250ms, slow-start = 500ms }
              cluster {
                enabled = on
                hostname = "127.0.0.1"
                port = {{ports[n - 1]}}
                seed-nodes = ["akka.tcp://router@127.0.0.1:{{ports[0]}}", "akka.tcp://router@127.0.0.1:{{ports[1]}}"]
                # The mail stays on the node that accepted it (no handing over while the firewalls stall).
                spill-over.enabled = off
              }
              shadow = required
              shadow-timeout = 30s
              shadow-promote-after = 1s
              firewalls {
                fw-a { host = "127.0.0.1", port = {{fwA.Port}} }
                fw-b { host = "127.0.0.1", port = {{fwB.Port}} }
              }
              connectors {
                outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
                outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
              }
            }
            akka.cluster.split-brain-resolver.stable-after = 2s
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
            akka.cluster.failure-detector.heartbeat-interval = 500ms
            """);
        return path;
    }

    /// <summary>Members Up as node1's admin endpoint (GET /api/cluster) reports them.</summary>
    private static async Task<int> UpMembersAsync(HttpClient http)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("/api/cluster"));
        return json.RootElement.GetProperty("members").EnumerateArray()
            .Count(m => string.Equals(m.GetProperty("status").GetString(), "up", StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"Admin endpoint listening on (http://\S+)")]
    private static partial Regex AdminLine();

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static HashSet<string> DistinctIds(params FakeFirewall[] firewalls) =>
        firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).ToHashSet();
}
