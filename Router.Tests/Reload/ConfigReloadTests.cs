using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Akka.Actor;
using Router.Messages.Routing;
using Router.Node.Admin;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;
using Router.Tests.Integration;

namespace Router.Tests.Reload;

/// <summary>Issue 19: reloading a node's configuration file while it runs, over real sockets, through the admin API.</summary>
public sealed class ConfigReloadTests
{
    private static string OneConnector(FakeFirewall firewall) => $$"""
        firewalls { {{firewall.Name}} { host = "127.0.0.1", port = {{firewall.Port}} } }
        connectors { out { address-spaces = ["*;1"], firewalls = [{{firewall.Name}}] } }
        """;

    /// <summary>The same firewall id with the other fake's port: the firewall actor is reconfigured in place, not replaced.</summary>
    private static string SameIdOtherPort(FakeFirewall firewall, FakeFirewall target) => $$"""
        firewalls { {{firewall.Name}} { host = "127.0.0.1", port = {{target.Port}}, max-connections = 4 } }
        connectors { out { address-spaces = ["*;1"], firewalls = [{{firewall.Name}}] } }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Under_load_a_reload_moving_all_mail_to_another_firewall_loses_and_doubles_nothing_and_refuses_no_connection(bool inPlace)
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);
        var events = EventCollector.Attach(router);

        const int total = 1200;
        const int clients = 8;
        // Each client opens a new connection every 10 messages, so that connections are opened
        // throughout the reload: any refused or cut one fails the send and the test.
        var messages = Enumerable.Range(0, total).Select(i => TestMail.Build($"r{i:D5}")).ToArray();
        var acceptedAfterReload = new ConcurrentBag<string>();
        var accepted = 0;
        NodeReload? reload = null;
        var reloading = new SemaphoreSlim(1);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            TestMail.ExactBytesClient? client = null;
            var sentOnConnection = 0;
            for (var i = c; i < total; i += clients)
            {
                if (client is null || sentOnConnection == 10)
                {
                    if (client is not null)
                    {
                        await client.DisconnectAsync(true);
                        client.Dispose();
                    }
                    client = new TestMail.ExactBytesClient();
                    await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
                    sentOnConnection = 0;
                }
                var reloadedBefore = Volatile.Read(ref reload) is not null;
                await client.SendAsync(TestMail.Format, TestMail.Load(messages[i]), MimeKit.MailboxAddress.Parse("sender@example.org"),
                    [MimeKit.MailboxAddress.Parse("user@example.net")]);
                sentOnConnection++;
                if (reloadedBefore)
                    acceptedAfterReload.Add(TestMail.IdOf(messages[i]));
                if (Interlocked.Increment(ref accepted) == total / 3)
                {
                    // One client reloads; the other seven keep sending meanwhile.
                    await reloading.WaitAsync();
                    await File.WriteAllTextAsync(router.ConfigPath,
                        router.ConfigText.Replace(OneConnector(fwA), inPlace ? SameIdOtherPort(fwA, fwB) : OneConnector(fwB)));
                    Volatile.Write(ref reload, await ReloadAsync(admin));
                    reloading.Release();
                }
            }
            await client!.DisconnectAsync(true);
            client.Dispose();
        }));

        Assert.Equal("applied", reload!.Outcome);
        Assert.Contains(inPlace ? "firewalls changed fw-a" : "firewalls added fw-b; firewalls removed fw-a", reload.Changes);

        // Every message arrived exactly once, on one firewall or the other.
        var expected = messages.Select(TestMail.IdOf).ToHashSet();
        List<string> Delivered() => fwA.Messages.Concat(fwB.Messages).Select(m => TestMail.IdOf(m.Data)).Where(expected.Contains).ToList();
        await Eventually.TrueAsync(() => Delivered().Distinct().Count() == expected.Count, TimeSpan.FromSeconds(90),
            () => $"delivered {Delivered().Distinct().Count()} of {expected.Count} (fw-a {fwA.Count}, fw-b {fwB.Count})");
        var doubled = Delivered().GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        Assert.True(doubled.Length == 0, $"delivered twice: {string.Join(",", doubled.Take(10))}");

        // Mail accepted once the reload had answered went to the new firewall only; the old one had some before.
        Assert.NotEmpty(acceptedAfterReload);
        var atA = fwA.Messages.Select(m => TestMail.IdOf(m.Data)).ToHashSet();
        Assert.DoesNotContain(acceptedAfterReload, atA.Contains);
        Assert.True(fwA.Count > 0 && fwB.Count > total / 2, $"fw-a {fwA.Count}, fw-b {fwB.Count}");

        // The spool empties, the firewall actor of fw-a is gone, the event and the metric are there.
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(30),
            () => $"{router.Node.Spool.Statistics.MessagesQueued} still queued");
        if (inPlace)
        {
            // Reconfigured in place: the pool of the old settings was closed and a pool of the new size runs.
            await Eventually.TrueAsync(() => WorkerCount(router, "/user/firewall-fw-a") == 4, TimeSpan.FromSeconds(30),
                () => $"firewall-fw-a has {WorkerCount(router, "/user/firewall-fw-a")} workers, not 4");
        }
        else
            await Eventually.TrueAsync(async () => !await ExistsAsync(router, "/user/firewall-fw-a"), TimeSpan.FromSeconds(30), () => "firewall-fw-a still runs");
        Assert.Contains(events.All, e => e.Kind == "config-reloaded" && e.Detail.StartsWith("applied", StringComparison.Ordinal));
        Assert.Contains("router_config_reloads_total{result=\"applied\"} 1", await router.Node.Metrics.ExportTextAsync());
    }

    [Fact]
    public async Task A_broken_file_is_refused_whole_and_the_node_runs_on_its_old_configuration()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);
        var before = await admin.GetFromJsonAsync<NodeInfo>("api", AdminJson.Options);

        // A valid change (fw-a to fw-b) next to an invalid one (cost 0): nothing of it may be applied.
        var broken = router.ConfigText.Replace(OneConnector(fwA), OneConnector(fwB) + """
            connectors { bad { address-spaces = ["bad.example;0"], firewalls = [fw-b] } }
            """);
        await File.WriteAllTextAsync(router.ConfigPath, broken);
        var error = await RefusedAsync(admin);
        Assert.Contains("router.connectors.bad.address-spaces[0]", error);
        Assert.StartsWith("configuration reload refused, nothing applied", error);

        // HOCON the parser rejects (Akka's forgives most slips; an unresolved substitution it does not): refused likewise, naming the file.
        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace("node-name = \"test\"", "node-name = ${nope}"));
        var invalid = await RefusedAsync(admin);
        Assert.Contains($"{router.ConfigPath}: invalid HOCON: Unresolved substitution: nope", invalid);

        var after = await admin.GetFromJsonAsync<NodeInfo>("api", AdminJson.Options);
        Assert.Equal(before!.Config!.Hash, after!.Config!.Hash);
        Assert.Equal(before.Config.LoadedAt, after.Config.LoadedAt);
        var firewalls = await admin.GetFromJsonAsync<FirewallView[]>("api/firewalls", AdminJson.Options);
        Assert.Equal(["fw-a"], firewalls!.Select(f => f.Id));

        // Mail still goes by the old configuration.
        await TestMail.SendAsync(router.Smtp, [TestMail.Build("after-broken")]);
        await fwA.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, fwB.Count);
        Assert.Contains("router_config_reloads_total{result=\"refused\"} 2", await router.Node.Metrics.ExportTextAsync());
    }

    [Fact]
    public async Task A_restart_only_key_is_refused_with_its_name_and_nothing_else_is_applied()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);

        var changed = router.ConfigText
            .Replace(OneConnector(fwA), OneConnector(fwB))
            .Replace($"spool.path = \"{router.SpoolPath}\"", $"spool.path = \"{router.SpoolPath}-moved\"");
        await File.WriteAllTextAsync(router.ConfigPath, changed);
        var error = await RefusedAsync(admin);
        Assert.Contains("router.spool.path", error);
        Assert.Contains("a restart is needed", error);

        var connectors = await admin.GetFromJsonAsync<ConnectorView[]>("api/connectors", AdminJson.Options);
        Assert.Equal(["fw-a"], Assert.Single(connectors!).Firewalls);
        await TestMail.SendAsync(router.Smtp, [TestMail.Build("after-restart-only")]);
        await fwA.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, fwB.Count);
    }

    [Fact]
    public async Task A_renewed_certificate_is_presented_to_the_next_starttls_and_open_sessions_are_not_cut()
    {
        using var first = TestCertificate.Create();
        using var renewed = TestCertificate.Create();
        var folder = Path.Combine(Path.GetTempPath(), "router-tests", "reload-cert-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var certificate = Path.Combine(folder, "router.crt.pem");
        var key = Path.Combine(folder, "router.key.pem");
        File.Copy(first.CertificatePem, certificate);
        File.Copy(first.KeyPem, key);
        try
        {
            await using var fwA = await FakeFirewall.StartAsync("fw-a");
            await using var router = await TestRouter.StartAsync(OneConnector(fwA) + $$"""
                smtp { tls { certificate = "{{certificate}}", key = "{{key}}" } }
                """);
            using var admin = Admin(router);

            var (before, _) = await RawSmtpSession.OpenAsync(router.Smtp);
            using var _1 = before;
            await before.SendAsync("EHLO client.test");
            Assert.Equal(first.Thumbprint, (await before.StartTlsAsync()).Certificate?.GetCertHashString());
            await before.SendAsync("EHLO client.test");

            // Renewed in place, as certbot or cert-manager do: same paths, new files.
            File.Copy(renewed.CertificatePem, certificate, overwrite: true);
            File.Copy(renewed.KeyPem, key, overwrite: true);
            var reload = await ReloadAsync(admin);
            Assert.Equal("unchanged", reload.Outcome);

            var (after, _) = await RawSmtpSession.OpenAsync(router.Smtp);
            using var _2 = after;
            await after.SendAsync("EHLO client.test");
            Assert.Equal(renewed.Thumbprint, (await after.StartTlsAsync()).Certificate?.GetCertHashString());

            // The session from before the reload goes on, on its TLS session, and can send mail.
            Assert.StartsWith("250", await before.ReplyAsync("NOOP"));
            Assert.StartsWith("250", await before.TransactionAsync("MAIL FROM:<a@example.org>", ["RCPT TO:<b@example.net>"],
                "Subject: before\r\nMessage-ID: <before@test>\r\n\r\nbody"));
            await fwA.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Queued_mail_waiting_for_a_removed_firewall_goes_to_what_serves_its_address_space_now_and_mail_with_no_route_waits()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);

        // fw-a is down: the mail waits (parked or deferred) on the only path there is.
        await fwA.StopAsync();
        var waiting = Enumerable.Range(0, 20).Select(i => TestMail.Build($"w{i:D2}")).ToArray();
        await TestMail.SendAsync(router.Smtp, waiting);
        await TestMail.SendAsync(router.Smtp, [TestMail.Build("partner-1", to: "user@partner.example")], to: "user@partner.example");

        // fw-a is replaced by fw-b for everything but partner.example, which nothing serves now.
        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace(OneConnector(fwA), $$"""
            firewalls { fw-b { host = "127.0.0.1", port = {{fwB.Port}} } }
            connectors { out { address-spaces = ["*.example.net;1", "example.net;1"], firewalls = [fw-b] } }
            """));
        Assert.Equal("applied", (await ReloadAsync(admin)).Outcome);

        await fwB.WaitForCountAsync(waiting.Length, TimeSpan.FromSeconds(30));
        Assert.Equal(waiting.Select(TestMail.IdOf).Order(), fwB.Messages.Select(m => TestMail.IdOf(m.Data)).Order());
        var queue = await admin.GetFromJsonAsync<QueueView>("api/queue", AdminJson.Options);
        var parked = Assert.Single(queue!.Entries);
        Assert.Equal(("parked", "user@partner.example"), (parked.State, Assert.Single(parked.Recipients)));
    }

    [Fact]
    public async Task Relay_networks_and_smtp_limits_change_for_new_sessions_without_closing_the_listener()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);

        var (before, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _1 = before;
        Assert.Contains(await before.SendAsync("EHLO client.test"), line => line.EndsWith("SIZE 36700160", StringComparison.Ordinal));

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText
            .Replace("relay.allowed-networks = [\"127.0.0.0/8\", \"::1/128\"]", "relay.allowed-networks = [\"10.0.0.0/8\"], max-message-size = 1000000, banner = \"reloaded ESMTP\""));
        var reload = await ReloadAsync(admin);
        Assert.Equal("applied", reload.Outcome);

        var (after, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _2 = after;
        Assert.Equal("220 reloaded ESMTP", greeting);
        Assert.Contains(await after.SendAsync("EHLO client.test"), line => line.EndsWith("SIZE 1000000", StringComparison.Ordinal));
        Assert.StartsWith("250", await after.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("554 5.7.1", await after.ReplyAsync("RCPT TO:<b@example.net>"));

        // The session from before is still open (the listener was not closed for the reload).
        Assert.StartsWith("250", await before.ReplyAsync("NOOP"));
    }

    [Fact]
    public async Task A_new_retry_schedule_applies_from_the_next_deferral_of_mail_already_queued()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        fwA.Behavior = FirewallBehavior.Reject550Or450Recipient("never", "later");
        await using var router = await TestRouter.StartAsync(OneConnector(fwA));
        using var admin = Admin(router);

        await TestMail.SendAsync(router.Smtp, [TestMail.Build("deferred-1", to: "later@example.net")], to: "later@example.net");
        await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<QueueView>("api/queue?state=deferred", AdminJson.Options))!.Count == 1,
            TimeSpan.FromSeconds(30), () => "the message was not deferred");

        await File.WriteAllTextAsync(router.ConfigPath, router.ConfigText.Replace("retry.schedule = [2s]", "retry.schedule = [1h]"));
        var reloaded = DateTimeOffset.UtcNow;
        Assert.Equal("applied", (await ReloadAsync(admin)).Outcome);

        // The part waited out its old 2 s, was refused again, and now waits an hour.
        QueueView? queue = null;
        await Eventually.TrueAsync(async () =>
        {
            queue = await admin.GetFromJsonAsync<QueueView>("api/queue?state=deferred", AdminJson.Options);
            return queue!.Entries.SingleOrDefault()?.NextAttempt > reloaded + TimeSpan.FromMinutes(50);
        }, TimeSpan.FromSeconds(30), () => $"next attempt {queue?.Entries.SingleOrDefault()?.NextAttempt:O}, reloaded {reloaded:O}");
    }

    private static HttpClient Admin(TestRouter router) =>
        new() { BaseAddress = new Uri($"http://{router.Node.AdminEndpoint}/"), Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<NodeReload> ReloadAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("api/config/reload", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<NodeReload>(body, AdminJson.Options)!;
    }

    private static async Task<string> RefusedAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("api/config/reload", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<ApiError>(body, AdminJson.Options)!.Error;
    }

    private static int WorkerCount(TestRouter router, string path)
    {
        var tree = Router.Node.Admin.ActorTree.Walk(((ExtendedActorSystem)router.Node.System).Guardian, 3);
        return tree.Children.Single(c => c.Path == path).Children.Count;
    }

    private static async Task<bool> ExistsAsync(TestRouter router, string path)
    {
        var identity = await router.Node.System.ActorSelection(path).Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(5));
        return identity.Subject is not null;
    }

    /// <summary>Collects the node's routing events (what <c>tail</c> shows).</summary>
    private sealed class EventCollector(ConcurrentQueue<RoutingEvent> events)
    {
        public IReadOnlyList<RoutingEvent> All => events.ToArray();

        public static EventCollector Attach(TestRouter router)
        {
            var events = new ConcurrentQueue<RoutingEvent>();
            var actor = router.Node.System.ActorOf(Props.Create(() => new Collector(events)));
            router.Node.System.EventStream.Subscribe(actor, typeof(RoutingEvent));
            return new EventCollector(events);
        }
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<RoutingEvent> events) => Receive<RoutingEvent>(events.Enqueue);
    }
}
