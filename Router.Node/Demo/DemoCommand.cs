using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Akka.Actor;
using MailKit.Net.Smtp;
using MimeKit;
using Router.Actors.Configuration;
using Router.Messages.Health;
using Router.Node.Hosting;
using Router.Testing.Firewalls;
using Spectre.Console;

namespace Router.Node.Demo;

/// <summary>
/// `router demo`: a node on temporary ports with two fake firewalls in this process. It sends a
/// few hundred messages, kills one firewall halfway, shows the trip and the reroute as they happen,
/// revives it, and ends with a table that shows where every message went and that none was lost.
/// </summary>
public static class DemoCommand
{
    /// <param name="count">Messages to send (validated by the command line: at least 10).</param>
    public static async Task<int> RunAsync(int count)
    {
        var spoolPath = Path.Combine(Path.GetTempPath(), $"router-demo-{Guid.NewGuid():N}");

        AnsiConsole.MarkupLine("[bold]Router demo[/]: one node, two connectors of equal cost, each with its own firewall.");
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        var options = RouterConfig.ToOptions(RouterConfig.Parse(DemoConfig(fwA.Port, fwB.Port, spoolPath)));
        var events = new ConcurrentQueue<FirewallStateChanged>();
        var clock = Stopwatch.StartNew();
        try
        {
            await using var node = await RouterNode.StartAsync(options);
            var listener = node.SmtpEndpoints[0];
            node.System.ActorOf(Props.Create(() => new EventCollector(events)), "demo-events");
            AnsiConsole.MarkupLine($"Node listening on [green]{listener}[/]; firewalls fw-a on :{fwA.Port}, fw-b on :{fwB.Port}.");
            if (node.AdminEndpoint is { } admin)
                AnsiConsole.MarkupLine($"Admin endpoint on [green]{admin}[/]: watch with [bold]router cmd --endpoint {admin} firewalls[/] (or tail).");
            AnsiConsole.MarkupLine($"Sending {count} messages from 8 clients; fw-b will be killed a quarter of the way in and revived a little later.");

            var sent = 0;
            var killed = false;
            var revived = false;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var accepted = progress.AddTask("accepted", maxValue: count);
                    var delivered = progress.AddTask("delivered", maxValue: count);
                    var sending = SendAllAsync(listener, count, () => { Interlocked.Increment(ref sent); accepted.Increment(1); });
                    while (!sending.IsCompleted || DistinctDelivered(fwA, fwB) < count)
                    {
                        delivered.Value = DistinctDelivered(fwA, fwB);
                        if (!killed && Volatile.Read(ref sent) >= count / 4)
                        {
                            killed = true;
                            await fwB.StopAsync();
                            AnsiConsole.MarkupLine($"[red]{clock.Elapsed:mm\\:ss\\.f} fw-b killed[/] (its port now refuses connections)");
                        }
                        if (killed && !revived && Volatile.Read(ref sent) >= count * 2 / 5)
                        {
                            revived = true;
                            await fwB.RestartAsync();
                            AnsiConsole.MarkupLine($"[green]{clock.Elapsed:mm\\:ss\\.f} fw-b revived[/]");
                        }
                        while (events.TryDequeue(out var e))
                            AnsiConsole.MarkupLine($"[yellow]{clock.Elapsed:mm\\:ss\\.f} health[/] {e.FirewallId}: {e.From} -> [bold]{e.To}[/] ({Markup.Escape(e.Reason)})");
                        if (clock.Elapsed > TimeSpan.FromMinutes(3))
                            throw new TimeoutException("the demo did not finish within 3 minutes");
                        await Task.Delay(100);
                    }
                    await sending;
                    delivered.Value = count;
                });
            while (events.TryDequeue(out var e))
                AnsiConsole.MarkupLine($"[yellow]{clock.Elapsed:mm\\:ss\\.f} health[/] {e.FirewallId}: {e.From} -> [bold]{e.To}[/] ({Markup.Escape(e.Reason)})");

            var idsA = fwA.Messages.Select(m => IdOf(m.Data)).ToList();
            var idsB = fwB.Messages.Select(m => IdOf(m.Data)).ToList();
            var all = idsA.Concat(idsB).ToList();
            var distinct = all.Distinct().Count();
            var table = new Table().Title("Summary").AddColumns("", "messages");
            table.AddRow("accepted (250)", sent.ToString());
            table.AddRow("delivered to fw-a", idsA.Count.ToString());
            table.AddRow("delivered to fw-b", idsB.Count.ToString());
            table.AddRow("distinct messages delivered", distinct.ToString());
            table.AddRow("duplicates (in flight when fw-b died)", (all.Count - distinct).ToString());
            table.AddRow(distinct == sent ? "[green]lost[/]" : "[red]lost[/]", (sent - distinct).ToString());
            table.AddRow("time", $"{clock.Elapsed.TotalSeconds:0.0} s");
            AnsiConsole.Write(table);
            return distinct == sent ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(spoolPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static int DistinctDelivered(FakeFirewall a, FakeFirewall b) =>
        a.Messages.Concat(b.Messages).Select(m => IdOf(m.Data)).Distinct().Count();

    private static async Task SendAllAsync(IPEndPoint endpoint, int count, Action onAccepted)
    {
        var next = -1;
        var clients = Enumerable.Range(0, 8).Select(async _ =>
        {
            using var client = new SmtpClient();
            await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, MailKit.Security.SecureSocketOptions.None);
            int n;
            while ((n = Interlocked.Increment(ref next)) < count)
            {
                var message = new MimeMessage();
                message.From.Add(new MailboxAddress("Demo", "demo@example.org"));
                message.To.Add(new MailboxAddress("Someone", $"user{n % 50}@example.net"));
                message.Subject = $"demo message {n}";
                message.MessageId = $"demo-{n}@router.demo";
                message.Body = new TextPart("plain") { Text = $"Hello from the router demo, message {n}.\n" };
                await client.SendAsync(message);
                onAccepted();
                // About 100 messages a second in all, so the failure and the recovery can be watched.
                await Task.Delay(80);
            }
            await client.DisconnectAsync(true);
        });
        await Task.WhenAll(clients);
    }

    private static string IdOf(byte[] data)
    {
        var text = Encoding.ASCII.GetString(data);
        var start = text.IndexOf("Message-Id: <", StringComparison.OrdinalIgnoreCase);
        if (start < 0)
            return string.Empty;
        start += "Message-Id: <".Length;
        return text[start..text.IndexOf('>', start)];
    }

    private static string DemoConfig(int portA, int portB, string spool) => $$"""
        router {
          node-name = "demo"
          spool.path = "{{spool.Replace("\\", "/")}}"
          smtp {
            listen = ["127.0.0.1:0"]
            hostname = "router.demo"
            relay.allowed-networks = ["127.0.0.0/8", "::1/128"]
          }
          admin.listen = "127.0.0.1:0"
          firewall-defaults {
            connect-timeout = 2s
            open-for = 1s
            probe-interval = 500ms
            slow-start = 2s
          }
          firewalls {
            fw-a { host = "127.0.0.1", port = {{portA}} }
            fw-b { host = "127.0.0.1", port = {{portB}} }
          }
          connectors {
            outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
            outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
          }
        }
        """;

    private sealed class EventCollector : ReceiveActor
    {
        public EventCollector(ConcurrentQueue<FirewallStateChanged> events)
        {
            Receive<FirewallStateChanged>(events.Enqueue);
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(FirewallStateChanged));
    }
}
