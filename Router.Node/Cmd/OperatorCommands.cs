using System.CommandLine;
using System.CommandLine.Parsing;

namespace Router.Node.Cmd;

/// <summary>
/// The operator client's commands (after Petabridge.Cmd's <c>pbm</c>) as a System.CommandLine tree:
/// the one definition behind parsing, validation, <c>--help</c> of every command, shell completion
/// (the <c>[suggest]</c> directive) and the interactive prompt's Tab completion. Each command that
/// does something maps its parse result to the admin API request that answers it (<see cref="ApiCall"/>).
/// </summary>
public sealed partial class OperatorCommands
{
    public static readonly IReadOnlyList<string> FirewallActions = ["trip", "reset", "drain"];

    public static readonly IReadOnlyList<string> QueueActions = ["retry", "suspend", "resume", "redirect", "delete"];

    public static readonly IReadOnlyList<string> QueueStates = ["queued", "deferred", "parked", "handing-over", "held"];

    /// <summary>Works with any command: the API's JSON instead of a table.</summary>
    public static readonly Option<bool> Json = new("--json") { Description = "print the admin API's JSON (for scripts) instead of a table", Recursive = true };

    /// <summary>The node's admin endpoint; default <c>$ROUTER_ADMIN_ENDPOINT</c>, then 127.0.0.1:9110.</summary>
    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "the node's admin endpoint host:port (default $ROUTER_ADMIN_ENDPOINT, then 127.0.0.1:9110)",
        Recursive = true,
    };

    /// <summary>The node's <c>router.admin.token</c>; default <c>$ROUTER_ADMIN_TOKEN</c>.</summary>
    public static readonly Option<string?> Token = new("--token") { Description = "the node's router.admin.token (default $ROUTER_ADMIN_TOKEN)", Recursive = true };

    private readonly Dictionary<Command, Func<ParseResult, ApiCall>> _calls = [];
    private readonly Dictionary<Argument, string> _required = [];

    /// <param name="firewalls">Firewall ids offered where a command takes one (the interactive prompt knows them).</param>
    /// <param name="connectors">Connector ids likewise.</param>
    /// <param name="parent">The command the operator commands go under (<c>router cmd</c>); default a root of their own.</param>
    public OperatorCommands(IReadOnlyList<string>? firewalls = null, IReadOnlyList<string>? connectors = null, Command? parent = null)
    {
        Firewalls = firewalls ?? [];
        Connectors = connectors ?? [];
        Commands = [Cluster(), Actor(), Leaf("firewalls", "every firewall: state, since, failures, connections, counts", new ApiCall("GET", "/api/firewalls", "firewalls")),
            Firewall(), Leaf("connectors", "every connector: address spaces, state, backlog, redirects", new ApiCall("GET", "/api/connectors", "connectors")),
            Queue(), Connector(), Outbound(), Route(), Leaf("tail", "live health and routing events until Ctrl-C", new ApiCall("GET", "/api/tail", "tail")), Track(), Config()];
        Root = parent ?? new RootCommand("The router's operator client: one command, or an interactive prompt without one.");
        foreach (var command in Commands)
        {
            RequireArguments(command);
            Root.Add(command);
        }
        // Until the caller sets the real one, an action that does nothing: a command without an
        // action and with sub-commands would be "Required command was not provided" to the library.
        foreach (var command in _calls.Keys)
            command.SetAction(_ => 0);
        Root.Add(Json);
        Root.Add(Endpoint);
        Root.Add(Token);
    }

    public IReadOnlyList<string> Firewalls { get; }

    public IReadOnlyList<string> Connectors { get; }

    /// <summary>The top-level operator commands (cluster, actor, firewalls, ...).</summary>
    public IReadOnlyList<Command> Commands { get; }

    /// <summary>The command holding <see cref="Commands"/> and the global options, for parsing one command line.</summary>
    public Command Root { get; }

    /// <summary>Parses one command line (global options may be among the words) into its admin API request.</summary>
    /// <exception cref="CmdException">The command line is wrong: one line, exit code 2.</exception>
    public ApiCall Parse(IReadOnlyList<string> words)
    {
        if (words.Count == 0)
            throw CmdException.Usage("no command; try help");
        var result = Root.Parse(words);
        return ToCall(result);
    }

    /// <summary>The request of a parse result whose command is one of these (under any parent); a usage error otherwise.</summary>
    public ApiCall ToCall(ParseResult result)
    {
        if (result.Errors.Count > 0)
            throw CmdException.Usage(UsageMessage(result));
        var command = result.CommandResult.Command;
        if (_calls.TryGetValue(command, out var call))
            return call(result);
        // A group such as "cluster" without its sub-command.
        throw CmdException.Usage($"usage: {command.Name} {string.Join('|', command.Subcommands.Select(c => c.Name))}");
    }

    /// <summary>Gives every command of the tree the same action (the caller executes the parsed call).</summary>
    public void SetAction(Func<ParseResult, CancellationToken, Task<int>> action)
    {
        foreach (var command in Commands)
            SetAction(command, action);
    }

    private static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(action);
        foreach (var sub in command.Subcommands)
            SetAction(sub, action);
    }

    private string UsageMessage(ParseResult result)
    {
        var error = result.Errors[0];
        var command = result.CommandResult.Command;
        if (error.SymbolResult is OptionResult { Tokens.Count: 0 } missing && missing.Option.ValueType != typeof(bool))
            return $"{missing.Option.Name} needs a value";
        if (result.UnmatchedTokens.Count > 0 && ReferenceEquals(command, Root))
            return $"unknown command '{result.UnmatchedTokens[0]}'; try help";
        if (result.UnmatchedTokens.Count > 0 && command.Subcommands.Count > 0 && command.Arguments.Count == 0)
            return $"unknown {command.Name} command '{result.UnmatchedTokens[0]}' ({string.Join(", ", command.Subcommands.Select(c => c.Name))})";
        if (result.UnmatchedTokens.Count > 0)
            return $"unexpected '{string.Join(' ', result.UnmatchedTokens)}'";
        if (!_calls.ContainsKey(command) && command.Subcommands.Count > 0)
            return $"usage: {command.Name} {string.Join('|', command.Subcommands.Select(c => c.Name))}";
        var message = error.Message;
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    private Command Leaf(string name, string description, ApiCall call)
    {
        var command = new Command(name, description);
        _calls[command] = _ => call;
        return command;
    }

    private Command Cluster()
    {
        var cluster = new Command("cluster", "cluster membership: show, leave, down");
        var show = new Command("show", "members, status, roles, reachability, leader");
        _calls[show] = _ => new ApiCall("GET", "/api/cluster", "cluster");
        var leaveAddress = new Argument<string?>("address") { Description = "the member's address (default: the node asked)", Arity = ArgumentArity.ZeroOrOne };
        var leave = new Command("leave", "that node (default: this one) hands its queue to the others, leaves and stops") { leaveAddress };
        // leave without an address: the node asked leaves.
        _calls[leave] = r => new ApiCall("POST", ApiCall.WithQuery("/api/cluster/leave", ("address", r.GetValue(leaveAddress))), "result");
        var downAddress = Required<string>("address", "the member's address, e.g. akka.tcp://router@10.0.0.2:4053", "cluster down <address>");
        var down = new Command("down", "remove a node now (gone or hung; its queue is not handed over)") { downAddress };
        _calls[down] = r => new ApiCall("POST", ApiCall.WithQuery("/api/cluster/down", ("address", r.GetValue(downAddress))), "result");
        cluster.Add(show);
        cluster.Add(leave);
        cluster.Add(down);
        return cluster;
    }

    private Command Config()
    {
        var config = new Command("config", "the node's configuration file: reload it");
        var allNodes = new Option<bool>("--all-nodes") { Description = "every cluster member reloads its own file; each one's result" };
        var reload = new Command("reload", "read the --config file again and apply it without a restart (refused whole if broken or if a key needs a restart)") { allNodes };
        _calls[reload] = r => r.GetValue(allNodes)
            ? new ApiCall("POST", ApiCall.WithQuery("/api/config/reload", ("all-nodes", "true")), "reload-all")
            : new ApiCall("POST", "/api/config/reload", "reload");
        config.Add(reload);
        return config;
    }

    private Command Actor()
    {
        var actor = new Command("actor", "the node's actors");
        var depth = new Option<int?>("--depth", "-d")
        {
            Description = "levels below /user (default 10)",
            CustomParser = r => int.TryParse(r.Tokens.Single().Value, out var d) && d >= 0
                ? d
                : Invalid<int?>(r, $"-d needs a number of levels, got '{r.Tokens.Single().Value}'"),
        };
        var all = new Option<bool>("--all") { Description = "from the root, system actors too" };
        var hierarchy = new Command("hierarchy", "the node's actor tree") { depth, all };
        _calls[hierarchy] = r => new ApiCall("GET", ApiCall.WithQuery("/api/actors",
            ("depth", r.GetValue(depth)?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("all", r.GetValue(all) ? "true" : null)), "actors");
        actor.Add(hierarchy);
        return actor;
    }

    private Command Firewall()
    {
        var node = new Option<string?>("--node") { Description = "another cluster member's firewall (node name or address)", Recursive = true };
        var id = Required<string>("id", "the firewall's id", "firewall <id> | firewall trip|reset|drain <id>");
        id.CompletionSources.Add(_ => Firewalls);
        var firewall = new Command("firewall", "one firewall: its health, connections and counts; trip, reset or drain it") { node, id };
        _calls[firewall] = r => new ApiCall("GET", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(r.GetValue(id)!)}", ("node", r.GetValue(node))), "firewall");
        foreach (var action in FirewallActions)
        {
            var target = Required<string>("id", "the firewall's id", $"firewall {action} <id>");
            target.CompletionSources.Add(_ => Firewalls);
            var command = new Command(action, action switch
            {
                "trip" => "open its circuit breaker now (operator trip) on every node, or --node N's: no new work, mail moves to other paths",
                "reset" => "close its circuit breaker on every node, or --node N's: healthy again, takes work",
                _ => "no new work on every node, or --node N's; attempts in flight finish",
            }) { target };
            // The same firewall on every node by default (issue 17); --node for one member's.
            _calls[command] = r => r.GetValue(node) is { } one
                ? new ApiCall("POST", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(r.GetValue(target)!)}/{action}", ("node", one)), "firewall")
                : new ApiCall("POST", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(r.GetValue(target)!)}/{action}", ("all-nodes", "true")), "firewalls");
            firewall.Add(command);
        }
        return firewall;
    }

    private Command Queue()
    {
        var connector = new Option<string?>("--connector") { Description = "mail placed on this connector" };
        connector.CompletionSources.Add(_ => Connectors);
        var firewall = new Option<string?>("--firewall") { Description = "mail for the connectors through this firewall" };
        firewall.CompletionSources.Add(_ => Firewalls);
        var state = new Option<string?>("--state")
        {
            Description = "one state: " + string.Join(", ", QueueStates),
            CustomParser = r => QueueStates.Contains(r.Tokens.Single().Value)
                ? r.Tokens.Single().Value
                : Invalid<string?>(r, $"--state is one of {string.Join(", ", QueueStates)}, got '{r.Tokens.Single().Value}'"),
        };
        state.CompletionSources.Add(_ => QueueStates);
        var sender = new Option<string?>("--sender") { Description = "mail from this envelope sender" };
        var listNode = NodeOption("one cluster member's queue (node name or address; default: every node's, with a node column)");
        var queue = new Command("queue", "the queue: list it, or retry, suspend, resume, redirect, delete, hold, release, show, export")
            { connector, firewall, state, sender, listNode };
        _calls[queue] = r => new ApiCall("GET", ApiCall.WithQuery("/api/queue",
            ("connector", r.GetValue(connector)), ("firewall", r.GetValue(firewall)), ("state", r.GetValue(state)), ("sender", r.GetValue(sender)),
            ("node", r.GetValue(listNode))), "queue");

        var retryId = new Argument<string?>("queue-id") { Description = "one message (default: all deferred and parked mail)", Arity = ArgumentArity.ZeroOrOne };
        var retryNode = NodeOption("only this cluster member (default: the node holding the message, or every node)");
        var retry = new Command("retry", "deferred and parked mail (or one message) now; in a cluster on the node that holds it, or on every node") { retryId, retryNode };
        _calls[retry] = r => new ApiCall("POST", ApiCall.WithQuery("/api/queue/retry", ("id", r.GetValue(retryId)), ("node", r.GetValue(retryNode))), "result");
        queue.Add(retry);

        foreach (var action in new[] { "suspend", "resume" })
        {
            var target = Required<string>("connector", "the connector's id", $"queue {action} <connector>");
            target.CompletionSources.Add(_ => Connectors);
            var node = NodeOption("only this cluster member (default: every node)");
            var command = new Command(action, action == "suspend"
                ? "no new work for a connector on every node, or --node N's; its backlog goes elsewhere (kept across restarts)"
                : "the connector takes work again on every node, or --node N's") { target, node };
            _calls[command] = r => new ApiCall("POST", ApiCall.WithQuery($"/api/connectors/{ApiCall.Segment(r.GetValue(target)!)}/{action}",
                ("node", r.GetValue(node))), "result");
            queue.Add(command);
        }

        var from = Required<string>("firewall", "mail waiting for this firewall", "queue redirect <firewall> <connector>");
        from.CompletionSources.Add(_ => Firewalls);
        var to = new Argument<string?>("connector") { Description = "goes to this connector", Arity = ArgumentArity.ZeroOrOne };
        to.CompletionSources.Add(_ => Connectors);
        var cancel = new Option<bool>("--cancel") { Description = "end the firewall's redirect" };
        var redirectNode = NodeOption("only this cluster member (default: every node)");
        var redirect = new Command("redirect", "mail for a firewall goes to another connector on every node, or --node N's (kept across restarts); --cancel ends it")
            { from, to, cancel, redirectNode };
        redirect.Validators.Add(r =>
        {
            var hasTarget = r.GetValue(to) is not null;
            if (r.GetValue(cancel) && hasTarget)
                r.AddError("usage: queue redirect --cancel <firewall>");
            else if (!r.GetValue(cancel) && !hasTarget)
                r.AddError("usage: queue redirect <firewall> <connector>");
        });
        _calls[redirect] = r => r.GetValue(cancel)
            ? new ApiCall("DELETE", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(r.GetValue(from)!)}/redirect", ("node", r.GetValue(redirectNode))), "result")
            : new ApiCall("POST", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(r.GetValue(from)!)}/redirect", ("to", r.GetValue(to)),
                ("node", r.GetValue(redirectNode))), "result");
        queue.Add(redirect);

        var deleteId = Required<string>("queue-id", "the message's queue id", "queue delete <queue-id> [--bounce]");
        var bounce = new Option<bool>("--bounce") { Description = "tell its sender (a DSN)" };
        var deleteNode = NodeOption("only this cluster member (default: the node holding the message)");
        var delete = new Command("delete", "remove a message (--bounce: its sender is told); in a cluster on the node that holds it") { deleteId, bounce, deleteNode };
        _calls[delete] = r => new ApiCall("DELETE", ApiCall.WithQuery($"/api/queue/{ApiCall.Segment(r.GetValue(deleteId)!)}",
            ("bounce", r.GetValue(bounce) ? "true" : null), ("node", r.GetValue(deleteNode))), "result");
        queue.Add(delete);
        AddHoldsAndInspection(queue);
        return queue;
    }

    private Command Route()
    {
        var route = new Command("route", "routing");
        var address = Required<string>("address", "a recipient address", "route test <address>");
        var sender = new Option<string?>("--sender") { Description = "for a message from this envelope sender (connectors' senders / reject-senders apply; \"\" for <>)" };
        var size = new Option<long?>("--size") { Description = "for a message of this many bytes (connectors' max-message-size applies)" };
        var test = new Command("test", "how mail for this recipient is routed now, step by step") { address, sender, size };
        _calls[test] = r => new ApiCall("GET", ApiCall.WithQuery($"/api/route/{ApiCall.Segment(r.GetValue(address)!)}",
            ("sender", r.GetValue(sender)), ("size", r.GetValue(size)?.ToString(System.Globalization.CultureInfo.InvariantCulture))), "route");
        route.Add(test);
        return route;
    }

    private Command Track()
    {
        var id = Required<string>("id", "a Message-ID or a queue id", "track <message-id or queue-id>");
        var track = new Command("track", "a message's history from the tracking log") { id };
        _calls[track] = r => new ApiCall("GET", $"/api/track/{ApiCall.Segment(r.GetValue(id)!)}", "track");
        return track;
    }

    /// <summary><c>--node N</c> of a queue command: one cluster member, by node name or cluster address.</summary>
    private static Option<string?> NodeOption(string description) => new("--node") { Description = description };

    /// <summary>
    /// A required argument whose absence is reported as <c>usage: …</c> (by <see cref="RequireArguments"/>,
    /// once the tree is built: the library's own message names the argument, not the command line to type).
    /// </summary>
    private Argument<T> Required<T>(string name, string description, string usage)
    {
        var argument = new Argument<T>(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };
        _required[argument] = usage;
        return argument;
    }

    private void RequireArguments(Command command)
    {
        foreach (var argument in command.Arguments)
        {
            if (!_required.TryGetValue(argument, out var usage))
                continue;
            command.Validators.Add(r =>
            {
                // With a sub-command (firewall trip x) the argument is the sub-command's business.
                if (!r.Children.OfType<CommandResult>().Any() && r.GetResult(argument) is not { Tokens.Count: > 0 })
                    r.AddError($"usage: {usage}");
            });
        }
        foreach (var sub in command.Subcommands)
            RequireArguments(sub);
    }

    private static T Invalid<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
