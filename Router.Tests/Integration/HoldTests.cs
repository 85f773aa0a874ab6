using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Router.Messages.Queue;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 20 over real sockets: holding a message, a connector and all outbound mail; showing and exporting a message.</summary>
public sealed class HoldTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string TwoConnectors(FakeFirewall a, FakeFirewall b) => $$"""
        firewalls {
          fw-a { host = "127.0.0.1", port = {{a.Port}} }
          fw-b { host = "127.0.0.1", port = {{b.Port}} }
        }
        connectors {
          conn-a { address-spaces = ["*;1"], firewalls = [fw-a] }
          conn-b { address-spaces = ["*;1"], firewalls = [fw-b] }
        }
        """;

    private static Task<T> AskAsync<T>(TestRouter router, object message) => router.Node.Routing.Ask<T>(message, TimeSpan.FromSeconds(10));

    private static async Task<IReadOnlyList<QueueEntry>> HeldAsync(TestRouter router) =>
        (await AskAsync<QueueListing>(router, new ListQueue(State: "held"))).Entries;

    private static async Task<string> SendAsync(TestRouter router, byte[] data)
    {
        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(TestMail.Format, TestMail.Load(data), MimeKit.MailboxAddress.Parse("sender@corp.example"),
            [MimeKit.MailboxAddress.Parse("user@example.net")]);
        await client.DisconnectAsync(true);
        return reply.Split(' ').Last();
    }

    [Fact]
    public async Task Paused_outbound_mail_and_a_held_message_stay_held_across_a_restart_and_go_when_released()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        var spool = TestRouter.NewSpoolPath();
        try
        {
            var ids = new List<string>();
            await using (var router = await TestRouter.StartAsync(TwoConnectors(a, b), spool))
            {
                Assert.Equal("pause", (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Outbound, null, true))).Command);
                for (var i = 0; i < 3; i++)
                    ids.Add(await SendAsync(router, TestMail.Build($"held{i}")));
                await Eventually.TrueAsync(() => HeldAsync(router).Result.Count == 3, Deadline, () => $"held {HeldAsync(router).Result.Count} of 3");
                Assert.Equal(1, (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Message, ids[0], true))).Affected);
                // Idempotent: holding it again changes nothing.
                Assert.Equal(0, (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Message, ids[0], true))).Affected);
            }
            Assert.Equal(0, a.Count + b.Count);

            await using (var router = await TestRouter.StartAsync(TwoConnectors(a, b), spool))
            {
                // Both holds came back from the operator state file: the recovered mail waits.
                await Eventually.TrueAsync(() => HeldAsync(router).Result.Count == 3, Deadline, () => $"held {HeldAsync(router).Result.Count} of 3 after the restart");
                Assert.Equal(0, a.Count + b.Count);

                Assert.Equal(3, (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Outbound, null, false))).Affected);
                await Eventually.TrueAsync(() => a.Count + b.Count == 2, Deadline, () => $"delivered {a.Count + b.Count} of 2");
                var stillHeld = Assert.Single(await HeldAsync(router));
                Assert.Equal(ids[0], stillHeld.QueueId);

                Assert.Equal(1, (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Message, ids[0], false))).Affected);
                await Eventually.TrueAsync(() => a.Count + b.Count == 3, Deadline, () => $"delivered {a.Count + b.Count} of 3");
                Assert.Contains("held0", a.Messages.Concat(b.Messages).Select(m => TestMail.IdOf(m.Data)));
            }
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public async Task A_held_connector_keeps_its_mail_unsent_while_its_tier_partner_sends_and_release_sends_it()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TwoConnectors(a, b));
        await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Connector, "conn-a", true));

        for (var i = 0; i < 20; i++)
            await SendAsync(router, TestMail.Build($"c{i:D2}"));

        await Eventually.TrueAsync(() => b.Count + HeldAsync(router).Result.Count == 20, Deadline,
            () => $"fw-b {b.Count}, held {HeldAsync(router).Result.Count}");
        var held = await HeldAsync(router);
        Assert.NotEmpty(held);
        // Kept with its connector: not moved to conn-b, as a suspension would.
        Assert.All(held, e => Assert.Equal("conn-a", e.Connector));
        Assert.Equal(0, a.Count);

        Assert.Equal(held.Count, (await AskAsync<QueueCommandDone>(router, new HoldCommand(HoldTarget.Connector, "conn-a", false))).Affected);
        await Eventually.TrueAsync(() => a.Count + b.Count == 20, Deadline, () => $"fw-a {a.Count}, fw-b {b.Count}");
        Assert.True(a.Count > 0);
    }

    [Fact]
    public async Task Queue_show_gives_envelope_headers_and_state_and_export_gives_the_stored_bytes()
    {
        await using var a = await FakeFirewall.StartAsync("fw-a");
        await using var b = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TwoConnectors(a, b));
        var endpoint = router.Node.AdminEndpoint!;
        using var http = new HttpClient { BaseAddress = new Uri($"http://{endpoint.Address}:{endpoint.Port}/") };
        (await http.PostAsync("api/outbound/pause", null)).EnsureSuccessStatusCode();
        var data = TestMail.Build("show-me");
        var id = await SendAsync(router, data);
        await Eventually.TrueAsync(() => HeldAsync(router).Result.Count == 1, Deadline, "the message was never held");

        using var shown = JsonDocument.Parse(await http.GetStringAsync($"api/queue/{id}"));
        var root = shown.RootElement;
        Assert.Equal("sender@corp.example", root.GetProperty("sender").GetString());
        Assert.Equal("user@example.net", root.GetProperty("recipients")[0].GetString());
        Assert.Contains("Message-ID: <show-me@test.example>", root.GetProperty("headers").GetString());
        Assert.StartsWith("Received: ", root.GetProperty("headers").GetString());
        Assert.Equal("held", root.GetProperty("parts")[0].GetProperty("state").GetString());
        Assert.Contains(root.GetProperty("history").EnumerateArray(), e => e.GetProperty("event").GetString() == "received");

        var eml = await http.GetByteArrayAsync($"api/queue/{id}/eml");
        Assert.StartsWith("Received: ", System.Text.Encoding.UTF8.GetString(eml));
        Assert.Equal("show-me", TestMail.IdOf(eml));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("api/queue/NOSUCHID/eml")).StatusCode);

        (await http.PostAsync($"api/queue/{id}/hold", null)).EnsureSuccessStatusCode();
        (await http.PostAsync("api/outbound/resume", null)).EnsureSuccessStatusCode();
        Assert.Single(await HeldAsync(router));
        (await http.PostAsync($"api/queue/{id}/release", null)).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => a.Count + b.Count == 1, Deadline, "the released message was not delivered");
        // The export is the stored bytes, exactly what the firewall got (forwarding is byte for byte).
        Assert.Equal(eml, a.Messages.Concat(b.Messages).Single().Data);
    }
}
