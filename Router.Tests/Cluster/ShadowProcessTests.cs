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
        var configs = Enumerable.Range(1, 3).Select(n => WriteConfig(dir, n, ports, ShadowRequiredNoSpillOver, ("fw-a", fwA.Port), ("fw-b", fwB.Port))).ToArray();
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
            await CleanUpAsync(nodes, dir);
        }
    }

    /// <summary>
    /// Issue 17: node 1 accepts 300 messages it cannot deliver, hands mail to its peers (spill-over, with the shipped
    /// defaults: shadow = preferred), and is killed with SIGKILL; the two survivors deliver every message exactly once,
    /// the handed-over ones as their new owners and the rest from the shadow copies they promote. A handover retires the
    /// holder's copy of what moved before the owner hears of it, so no promotion delivers what a peer already owns.
    /// <paramref name="firewallDeadForAll"/>: the only firewall is down for every node while node 1 accepts (the issue's
    /// measurement: node 1 handed mail to peers that had never tried it) and comes back after the kill; otherwise only
    /// node 1's path to it is dead (its config names a closed port), so node 1 hands its mail over whatever the
    /// spill-over decision makes of untried firewalls, and the peers deliver it at once.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Mail_a_killed_node_handed_over_is_not_delivered_again_from_its_shadow_copies(bool firewallDeadForAll)
    {
        const int total = 300;
        await using var fw = await FakeFirewall.StartAsync("fw");
        var deadPort = FreePorts(1)[0];
        if (firewallDeadForAll)
            await fw.StopAsync();

        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var ports = FreePorts(3);
        var configs = Enumerable.Range(1, 3)
            .Select(n => WriteConfig(dir, n, ports, ShadowPreferredWithSpillOver, ("fw", n == 1 && !firewallDeadForAll ? deadPort : fw.Port)))
            .ToArray();
        var nodes = new List<RouterProcess>();
        try
        {
            nodes.Add(await RouterProcess.StartAsync(configs[0], TimeSpan.FromSeconds(60)));
            nodes.AddRange(await Task.WhenAll(configs.Skip(1).Select(c => RouterProcess.StartAsync(c, TimeSpan.FromSeconds(60)))));
            var accepting = nodes[0];
            var survivors = nodes.Skip(1).ToArray();
            using var http = new HttpClient { BaseAddress = AdminOf(accepting) };
            await Eventually.TrueAsync(async () => await UpMembersAsync(http) == 3, TimeSpan.FromSeconds(60),
                () => $"the cluster did not form:\n{accepting.Output}");
            if (!firewallDeadForAll)
            {
                // The survivors have delivered through the firewall: their health view entries are evidence, not guesses.
                foreach (var (survivor, i) in survivors.Select((s, i) => (s, i)))
                    Assert.All(await TestMail.SendAsync(survivor.Smtp, [TestMail.Build($"warm-{i}")]), r => Assert.StartsWith("2.0.0 Ok", r));
                await fw.WaitForCountAsync(survivors.Length, TimeSpan.FromSeconds(60));
            }

            var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"handed-{i:D3}")).ToArray();
            var expected = messages.Select(TestMail.IdOf).ToHashSet();
            var replies = (await Task.WhenAll(Enumerable.Range(0, 4).Select(c => TestMail.SendAsync(accepting.Smtp, messages.Where((_, i) => i % 4 == c)))))
                .SelectMany(r => r).ToList();
            Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as ", r));

            await accepting.KillAsync();
            if (firewallDeadForAll)
            {
                Assert.Equal(0, fw.Count);
                await fw.RestartAsync();
            }

            List<string> Delivered() => fw.Messages.Select(m => TestMail.IdOf(m.Data)).Where(expected.Contains).ToList();
            string Outputs() => $"delivered {Delivered().Distinct().Count()} of {total}\n--- node1\n{accepting.Output}\n--- node2\n{survivors[0].Output}\n--- node3\n{survivors[1].Output}";
            await Eventually.TrueAsync(() => Delivered().Distinct().Count() == total, TimeSpan.FromSeconds(180), Outputs);

            // Settled: the survivors hold no copy of node 1's any more and have nothing queued, so nothing more can arrive.
            var node1 = $"akka.tcp://router@127.0.0.1:{ports[0]}#";
            var admins = survivors.Select(s => new HttpClient { BaseAddress = AdminOf(s) }).ToArray();
            try
            {
                await Eventually.TrueAsync(async () =>
                        Enumerable.Range(2, 2).All(n => !HoldsCopiesOf(dir, n, node1))
                        && (await Task.WhenAll(admins.Select(QueuedAsync))).All(q => q == 0),
                    TimeSpan.FromSeconds(120), Outputs);
            }
            finally
            {
                foreach (var admin in admins)
                    admin.Dispose();
            }

            var ids = Delivered();
            var duplicated = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
            var takenOver = survivors.Sum(s => s.Output.Split('\n').Count(l => l.Contains("Took over ", StringComparison.Ordinal) && l.Contains(" from " + node1, StringComparison.Ordinal)));
            var promoted = survivors.Sum(s => PromotedLine().Matches(s.Output).Count);
            output.WriteLine($"firewall dead for all: {firewallDeadForAll}; handed over by node 1: {takenOver}; promoted by the survivors: {promoted}; " +
                             $"delivered {ids.Count}, {ids.Distinct().Count()} distinct, {duplicated.Count} duplicated");
            Assert.Equal(expected.Order(), ids.Distinct().Order());
            Assert.True(duplicated.Count == 0, $"delivered twice: {string.Join(", ", duplicated)}\n{Outputs()}");
            if (!firewallDeadForAll)
                Assert.True(takenOver > 0, $"node 1 handed nothing over, so the test proved nothing\n{Outputs()}");
        }
        finally
        {
            await CleanUpAsync(nodes, dir);
        }
    }

    private const string ShadowRequiredNoSpillOver = """
        # The mail stays on the node that accepted it (no handing over while the firewalls stall).
        cluster.spill-over.enabled = off
        shadow = required
        """;

    private const string ShadowPreferredWithSpillOver = """
        # The shipped defaults: spill-over on, shadow = preferred.
        shadow = preferred
        """;

    /// <summary>hocon/cluster/nodeN.conf with free ports, a spool under <paramref name="dir"/>, test timings, one connector per firewall.</summary>
    private static string WriteConfig(string dir, int n, int[] ports, string settings, params (string Id, int Port)[] firewalls)
    {
        var path = Path.Combine(dir, $"node{n}.conf");
        var firewallBlock = string.Join("\n", firewalls.Select(f => $"    {f.Id} {{ host = \"127.0.0.1\", port = {f.Port} }}"));
        var connectorBlock = string.Join("\n", firewalls.Select(f => $"    outbound-{f.Id} {{ address-spaces = [\"*;1\"], firewalls = [{f.Id}] }}"));
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
              }
              shadow-timeout = 30s
              shadow-promote-after = 1s
              firewalls {
            {{firewallBlock}}
              }
              connectors {
            {{connectorBlock}}
              }
            {{settings}}
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

    [GeneratedRegex(@"Promoted the shadow copy of ")]
    private static partial Regex PromotedLine();

    [GeneratedRegex(@"^router_queue_messages(?:\{[^}]*\})? (\S+)$", RegexOptions.Multiline)]
    private static partial Regex QueueGauge();

    private static Uri AdminOf(RouterProcess node)
    {
        var admin = AdminLine().Match(node.Output);
        Assert.True(admin.Success, node.Output);
        return new Uri(admin.Groups[1].Value);
    }

    /// <summary>Messages in the node's queue, from its /metrics.</summary>
    private static async Task<double> QueuedAsync(HttpClient admin)
    {
        var match = QueueGauge().Match(await admin.GetStringAsync("/metrics"));
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }

    /// <summary>Whether node <paramref name="n"/> has a shadow folder of an owner whose unique address starts so.</summary>
    private static bool HoldsCopiesOf(string dir, int n, string ownerPrefix)
    {
        var shadow = Path.Combine(dir, $"node{n}", "spool", "shadow");
        return Directory.Exists(shadow) && Directory.EnumerateDirectories(shadow).Any(d =>
        {
            var owner = Path.Combine(d, Router.Actors.Cluster.Shadow.ShadowStore.OwnerFileName);
            try
            {
                return File.Exists(owner) && File.ReadAllText(owner).StartsWith(ownerPrefix, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return true;
            }
        });
    }

    private static int[] FreePorts(int count) => Router.Testing.FreePorts.Pick(count);

    private static HashSet<string> DistinctIds(params FakeFirewall[] firewalls) =>
        firewalls.SelectMany(f => f.Messages).Select(m => TestMail.IdOf(m.Data)).ToHashSet();

    /// <summary>Stops every node still running and deletes the test's folder (spools, configs).</summary>
    private static async Task CleanUpAsync(IEnumerable<RouterProcess> nodes, string dir)
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
