using System.Globalization;
using System.Text.Json;
using Router.Messages.Queue;
using Router.Node.Admin;
using Spectre.Console;
using Spectre.Console.Rendering;

using Router.Actors.Observability.Tracking;

namespace Router.Node.Cmd;

/// <summary>Shows an admin API answer to people: tables, trees and one-line results.</summary>
public static class CmdRenderer
{
    public static void Render(IAnsiConsole console, string view, string json)
    {
        switch (view)
        {
            case "cluster":
                Cluster(console, Read<ClusterView>(json));
                break;
            case "actors":
                var root = Read<ActorNode>(json);
                var tree = new Tree(Markup.Escape(root.Path));
                AddChildren(tree, root);
                console.Write(tree);
                break;
            case "firewalls":
                Firewalls(console, Read<FirewallView[]>(json));
                break;
            case "firewall":
                var firewall = Read<FirewallView>(json);
                Firewalls(console, [firewall]);
                if (firewall.Share is { } share)
                    foreach (var line in ShareLines(share))
                        console.WriteLine(line);
                console.WriteLine($"EHLO offers: {(firewall.Capabilities is { } offered ? string.Join(", ", offered) : "not known yet (no session opened)")}");
                console.WriteLine($"Hedged: {firewall.Hedged} job(s) placed elsewhere after a wait far outside the firewall's latency history");
                if (firewall.Latencies is { } latencies)
                    FirewallLatencyTable.Render(console, latencies);
                break;
            case "connectors":
                Connectors(console, Read<ConnectorView[]>(json));
                break;
            case "queue":
                Queue(console, Read<QueueView>(json));
                break;
            case "route":
                Route(console, Read<RouteTest>(json));
                break;
            case "message":
                Message(console, Read<MessageView>(json));
                break;
            case "reload":
                Reloads(console, [Read<NodeReload>(json)]);
                break;
            case "reload-all":
                Reloads(console, Read<ClusterReload>(json).Nodes);
                break;
            case "track":
                Track(console, JsonSerializer.Deserialize(json, TrackingJsonContext.Default.IReadOnlyListTrackingEvent) ?? []);
                break;
            default:
                Result(console, Read<CommandResult>(json));
                break;
        }
    }

    /// <summary><c>queue show</c>: the envelope, the parts, the headers and the history of one message.</summary>
    private static void Message(IAnsiConsole console, MessageView m)
    {
        console.MarkupLineInterpolated($"[bold]{m.QueueId}[/]: {m.Size} bytes from {(m.Sender.Length == 0 ? "<>" : m.Sender)}, received {m.ReceivedAt:u} from {m.Client} ({m.Helo})");
        for (var i = 0; i < m.Recipients.Count; i++)
            console.WriteLine($"  to {m.Recipients[i]}{(m.Pending[i] ? string.Empty : " (done)")}");
        foreach (var part in m.Parts)
            console.WriteLine($"  part [{string.Join(", ", part.Recipients)}]: {part.State}{(part.Connector is { } c ? $" on {c}" : string.Empty)}{(part.NextAttempt is { } next ? $", next attempt {next:u}" : string.Empty)}");
        console.WriteLine("headers:");
        console.WriteLine(m.Headers.TrimEnd());
        if (m.History.Count > 0)
            Track(console, m.History);
    }

    /// <summary>One <c>tail</c> event as a line.</summary>
    public static void TailLine(IAnsiConsole console, string json)
    {
        var e = Read<TailEvent>(json);
        var colour = e.Type switch
        {
            "firewall" when e.Text.Contains("-> tripped", StringComparison.Ordinal) => "red",
            "firewall" when e.Text.Contains("-> healthy", StringComparison.Ordinal) => "green",
            "firewall" => "yellow",
            "rerouted" or "connector-down" or "parked" => "red",
            "connector-usable" => "green",
            _ => "blue",
        };
        console.MarkupLine($"{e.At.ToLocalTime():HH:mm:ss.fff} [{colour}]{Markup.Escape(e.Type),-16}[/] [bold]{Markup.Escape(e.Subject)}[/] {Markup.Escape(e.Text)}");
    }

    private static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, AdminJson.Options) ?? throw new CmdException("the node answered null", CmdException.NodeError);

    /// <summary>True when a node refused its reload (the command's exit code is then 1).</summary>
    public static bool AnyReloadRefused(string view, string json) =>
        view == "reload-all" && Read<ClusterReload>(json).Nodes.Any(n => n.Outcome == "refused");

    private static void Reloads(IAnsiConsole console, IReadOnlyList<NodeReload> nodes)
    {
        foreach (var n in nodes)
        {
            var hash = n.Hash.Length >= 12 ? n.Hash[..12] : n.Hash;
            if (n.Outcome == "refused")
                console.MarkupLineInterpolated($"[red]{n.Node}[/] ({n.Address}): refused, nothing applied: {(n.Error ?? string.Empty).Replace("\n", "; ", StringComparison.Ordinal)}");
            else
                console.MarkupLineInterpolated($"{n.Node} ({n.Address}): {n.Outcome}: {n.Changes} (sha256 {hash}, loaded {Time(n.LoadedAt)})");
        }
    }

    private static void Cluster(IAnsiConsole console, ClusterView cluster)
    {
        var table = Compact(new Table()).AddColumns("address", "node", "status", "roles", "reachable", "leader", "up since",
            "queued", "accepted/s", "delivered/s", "config");
        foreach (var m in cluster.Members)
            table.AddRow(Cells(m.Address + (m.Self ? " (self)" : string.Empty), m.Node, m.Status, $"[{string.Join(", ", m.Roles)}]",
                m.Reachable ? "yes" : "UNREACHABLE", m.Leader ? "leader" : string.Empty, m.UpSince == default ? "-" : Time(m.UpSince),
                m.Queued is { } queued ? Number(queued) : "-", Rate(m.AcceptedPerSecond), Rate(m.DeliveredPerSecond),
                m.ConfigHash is not { } hash ? "-" : hash[..Math.Min(12, hash.Length)] + (m.RoutingDiffers ? " ROUTING DIFFERS" : string.Empty)));
        console.Write(table);
        // The rates are each node's own samples (every 2 s) over the last 10 s; "-" is a node that did not answer.
        var window = cluster.Members.Select(m => m.RateSeconds ?? 0).DefaultIfEmpty(0).Max();
        console.WriteLine($"accepted/s, delivered/s: per second over the last {(window > 0 ? window.ToString("0.#", CultureInfo.InvariantCulture) : "10")} s (messages accepted, recipients delivered); config: SHA-256 of the node's configuration file, the same file gives the same hash");
        if (cluster.Members.Any(m => m.RoutingDiffers))
            console.WriteLine("ROUTING DIFFERS: that node's firewall or connector sections are not the same as this node's (reload it, or check its file)");
        console.WriteLine($"Count: {cluster.Members.Count} node(s); leader {cluster.Leader ?? "none"}{(cluster.Clustered ? string.Empty : " (not clustered: this node alone)")}");
    }

    private static void AddChildren(IHasTreeNodes parent, ActorNode node)
    {
        foreach (var child in node.Children)
        {
            var label = child.Hidden > 0 ? $"{child.Name} (+{child.Hidden} below)" : child.Name;
            AddChildren(parent.AddNode(Markup.Escape(label)), child);
        }
    }

    private static void Firewalls(IAnsiConsole console, IReadOnlyList<FirewallView> firewalls)
    {
        // One node: its name goes above the table, not in every row. Another member's pool size is
        // not known here (0): its busy column shows the count alone.
        var nodes = firewalls.Select(f => f.Node).Distinct().ToArray();
        var table = Compact(new Table());
        if (nodes.Length > 1)
            table.AddColumn("node");
        table.AddColumns("firewall", "state", "since", "fails", "trips", "busy", "queued", "delivered", "failed", "reason");
        foreach (var f in firewalls)
        {
            var cells = Cells(f.Id, StateMarkup(f.State), f.Since.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                Number(f.ConsecutiveFailures), Number(f.Trips), f.MaxConnections > 0 ? $"{f.Busy}/{f.MaxConnections}" : Number(f.Busy), Number(f.Queued), Number(f.Delivered), Number(f.Failed), f.Reason);
            table.AddRow(nodes.Length > 1 ? [new Text(f.Node), .. cells] : cells);
        }
        if (nodes.Length == 1)
            console.MarkupLineInterpolated($"node [bold]{nodes[0]}[/]");
        console.Write(table);
    }

    /// <summary>
    /// The node's part of the firewall's budgets: "max-connections 2 (cluster budget 6 / 3 Up nodes)", and the rates
    /// when limited; on a single node the value alone.
    /// </summary>
    public static IEnumerable<string> ShareLines(Router.Messages.Health.FirewallShare share)
    {
        string Of(object part, object budget) => share.Nodes switch
        {
            0 => $"{part} (cluster budget {budget}; this node has not joined the cluster yet)",
            1 when share.MaxConnections == share.BudgetConnections => $"{part}",
            _ => $"{part} (cluster budget {budget} / {share.Nodes} Up node{(share.Nodes == 1 ? string.Empty : "s")})",
        };
        yield return $"max-connections {Of(share.MaxConnections, share.BudgetConnections)}";
        if (share.MessageRate is { } messages)
            yield return $"max-message-rate {Of(messages, share.BudgetMessageRate!)}";
        if (share.ConnectionRate is { } connections)
            yield return $"max-connection-rate {Of(connections, share.BudgetConnectionRate!)}";
    }

    private static void Connectors(IAnsiConsole console, IReadOnlyList<ConnectorView> connectors)
    {
        var table = Compact(new Table()).AddColumns("connector", "address spaces (pattern;cost)", "firewalls", "state", "backlog", "redirect");
        foreach (var c in connectors)
            table.AddRow(Cells(c.Id, string.Join(" ", c.AddressSpaces), string.Join(",", c.Firewalls), StateMarkup(c.State), Number(c.Backlog),
                string.Join(" ", c.Redirects.Select(r => $"{r.Key} -> {r.Value}"))));
        console.Write(table);
    }

    private static void Queue(IAnsiConsole console, QueueView queue)
    {
        // In a cluster (the answer names its nodes) a node column: whose queue holds the part.
        var clustered = queue.Nodes is not null;
        var table = Compact(new Table());
        if (clustered)
            table.AddColumn("node");
        table.AddColumns("queue id", "sender", "recipients", "state", "connector", "next attempt", "attempts");
        foreach (var e in queue.Entries)
        {
            var cells = Cells(e.QueueId, e.Sender.Length == 0 ? "<>" : e.Sender, string.Join(", ", e.Recipients), e.State, e.Connector ?? string.Empty,
                e.NextAttempt is { } next ? Time(next) : string.Empty, Number(e.Attempts));
            table.AddRow(clustered ? [new Text(e.Node ?? string.Empty), .. cells] : cells);
        }
        console.Write(table);
        foreach (var problem in queue.Problems ?? [])
            console.MarkupLineInterpolated($"[yellow]not listed[/]: {problem}");
        console.WriteLine(clustered
            ? $"Count: {queue.Count} part(s) on {queue.Nodes!.Count} node(s) ({string.Join(", ", queue.Nodes!)})"
            : $"Count: {queue.Count} part(s)");
    }

    /// <summary>A queue command's answer: one line, and in a cluster one line per node that answered.</summary>
    private static void Result(IAnsiConsole console, CommandResult result)
    {
        console.MarkupLineInterpolated($"{result.Command}: {result.Message} ({result.Affected} part(s) affected)");
        if (result.Nodes is not { Count: > 1 } nodes)
            return;
        foreach (var n in nodes)
        {
            if (n.Status == 200)
                console.MarkupLineInterpolated($"  {n.Node}: {n.Message} ({n.Affected} part(s) affected)");
            else
                console.MarkupLineInterpolated($"  [red]{n.Node}[/]: not done ({n.Status}): {n.Message}");
        }
    }

    /// <summary>True when some node did not act on a command meant for every node (the command's exit code is then 1).</summary>
    public static bool AnyNodeRefused(string view, string json) =>
        view == "result" && Read<CommandResult>(json).Nodes is { } nodes && nodes.Any(n => n.Status != 200);

    private static void Route(IAnsiConsole console, RouteTest test)
    {
        var route = test.Route;
        console.MarkupLineInterpolated($"[bold]{route.Address}[/]: domain {(route.Domain.Length == 0 ? "(none)" : route.Domain)}");
        if (route.Error is not null)
        {
            console.MarkupLineInterpolated($"[red]{route.Verdict}[/]");
            return;
        }
        console.WriteLine("1. matching address spaces (best first):");
        if (route.Matches.Count == 0)
            console.WriteLine("   none");
        foreach (var m in route.Matches)
            console.WriteLine($"   {m.Connector,-16} {m.Pattern};{m.Cost}{(m.Tier > 0 ? $"  -> tier {m.Tier}" : m.Tier < 0 ? "  (not used: pinned to a more specific pattern, fallback = off)" : "  (connector already in a better tier)")}");
        if (route.Tiers.Count > 0)
        {
            console.WriteLine("2. tiers and candidates:");
            var health = test.Firewalls.ToDictionary(f => f.Id, StringComparer.Ordinal);
            var table = Compact(new Table()).AddColumns("tier", "pattern;cost", "connector", "state", "backlog", "firewalls (health)");
            foreach (var tier in route.Tiers)
            {
                foreach (var c in tier.Connectors)
                {
                    var firewalls = string.Join(", ", c.Firewalls.Select(id => health.TryGetValue(id, out var f) ? $"{id} {f.State}" : id));
                    table.AddRow(Cells(Number(tier.Rank), $"{tier.Pattern};{tier.Cost}", c.ConnectorId + (c.RedirectTo is { } to ? $" (redirected to {to})" : string.Empty),
                        StateMarkup(c.State), Number(c.Backlog), firewalls));
                }
            }
            console.Write(table);
        }
        if (route.Rule is not null)
            console.WriteLine($"   rule: {route.Rule}");
        console.MarkupLineInterpolated($"3. decision: [bold]{route.Verdict}[/]");
    }

    /// <summary>Column rules but no outer frame: more room for the data in an 80-column terminal.</summary>
    private static void Track(IAnsiConsole console, IReadOnlyList<TrackingEvent> events)
    {
        var table = Compact(new Table()).AddColumns("time", "node", "queue id", "event", "recipients", "where", "reply");
        foreach (var e in events)
        {
            var where = string.Join(" ", new[] { e.Connector, e.Firewall, e.Tier is null ? null : $"tier {e.Tier}" }.Where(w => w is not null));
            var reply = e.Event == "received"
                ? $"from {e.Sender} ({e.Client}, {e.Helo}), {e.Size} bytes, {e.MessageId}"
                : string.Join(" ", new[] { e.Outcome, e.Code?.ToString(CultureInfo.InvariantCulture), e.Status, e.Reply,
                    e.NextAttempt is { } next ? $"next {Time(next)}" : null, e.DsnQueueId is null ? null : $"dsn {e.DsnQueueId}" }
                    .Where(w => !string.IsNullOrEmpty(w)));
            table.AddRow(Cells(Time(e.Time), e.Node ?? "", e.QueueId, e.Event, string.Join(", ", e.Recipients ?? []), where, reply));
        }
        console.Write(table);
    }

    private static Table Compact(Table table) => table.Border(TableBorder.Minimal);

    private static IRenderable[] Cells(params string[] cells) =>
        cells.Select(c => c.StartsWith("[", StringComparison.Ordinal) && c.Contains("[/]", StringComparison.Ordinal)
            ? (IRenderable)new Markup(c)
            : new Text(c)).ToArray();

    private static string StateMarkup(string state) => state switch
    {
        "healthy" or "usable" => $"[green]{state}[/]",
        "tripped" or "down" => $"[red]{state}[/]",
        _ => $"[yellow]{state}[/]",
    };

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "-";
}
