using System.Text;

namespace Router.Node.Cmd;

/// <summary>
/// The operator client's command language (after Petabridge.Cmd's <c>pbm</c>), parsed into
/// <see cref="ApiCall"/>s. A wrong command gives a <see cref="CmdException"/> with a one-line usage hint.
/// </summary>
public static class CommandParser
{
    public const string Help = """
        cluster show                                  members, status, roles, reachability, leader
        cluster leave [<address>]                     that node (default: this one) hands its queue to the others, leaves, stops
        cluster down <address>                        remove a node now (gone or hung; its queue is not handed over)
        actor hierarchy [-d <depth>] [--all]          the node's actor tree (--all: from the root, system actors too)
        firewalls                                     every firewall: state, since, failures, connections, counts
        firewall <id> [--node <n>]                    one firewall
        firewall trip|reset|drain <id> [--node <n>]   operator health commands
        connectors                                    every connector: address spaces, state, backlog, redirects
        queue [--connector <c>] [--firewall <f>] [--state queued|deferred|parked] [--sender <a>]
        queue retry [<queue-id>]                      deferred and parked mail (or one message) now
        queue suspend|resume <connector>              no new work for a connector / take work again
        queue redirect <firewall> <connector>         mail for a firewall goes to another connector
        queue redirect --cancel <firewall>            end a redirect
        queue delete <queue-id> [--bounce]            remove a message (--bounce: its sender is told)
        route test <address>                          how mail for this recipient is routed now, step by step
        tail                                          live health and routing events until Ctrl-C
        track <message-id or queue-id>                a message's history from the tracking log
        help, exit
        Add --json to any command for the API's JSON.
        """;

    /// <summary>Commands and sub-commands, for help and tab completion.</summary>
    public static readonly IReadOnlyList<string> Verbs = ["cluster", "actor", "firewalls", "firewall", "connectors", "queue", "route", "tail", "track", "help", "exit"];

    public static readonly IReadOnlyList<string> FirewallActions = ["trip", "reset", "drain"];

    public static readonly IReadOnlyList<string> QueueActions = ["retry", "suspend", "resume", "redirect", "delete"];

    public static readonly IReadOnlyList<string> QueueStates = ["queued", "deferred", "parked", "handing-over"];

    /// <summary>Splits a command line into words; double or single quotes keep spaces in one word.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else
                    word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quote is not null)
            throw CmdException.Usage("unterminated quote");
        if (inWord)
            words.Add(word.ToString());
        return words;
    }

    /// <summary>Parses one command (without <c>--json</c>, which the caller takes out).</summary>
    public static ApiCall Parse(IReadOnlyList<string> words)
    {
        if (words.Count == 0)
            throw CmdException.Usage("no command; try help");
        var args = new Arguments(words.Skip(1));
        var call = words[0] switch
        {
            "cluster" => Cluster(args),
            "actor" => Actor(args),
            "firewalls" => args.Done(new ApiCall("GET", "/api/firewalls", "firewalls")),
            "firewall" => Firewall(args),
            "connectors" => args.Done(new ApiCall("GET", "/api/connectors", "connectors")),
            "queue" => Queue(args),
            "route" => Route(args),
            "tail" => args.Done(new ApiCall("GET", "/api/tail", "tail")),
            "track" => args.Done(new ApiCall("GET", $"/api/track/{ApiCall.Segment(args.Word("track <message-id or queue-id>"))}", "track")),
            var other => throw CmdException.Usage($"unknown command '{other}'; try help"),
        };
        return call;
    }

    private static ApiCall Cluster(Arguments args)
    {
        var sub = args.Word("cluster show|leave|down");
        return sub switch
        {
            "show" => args.Done(new ApiCall("GET", "/api/cluster", "cluster")),
            // leave without an address: the node asked leaves.
            "leave" => args.Done(new ApiCall("POST", ApiCall.WithQuery("/api/cluster/leave", ("address", args.OptionalWord())), "result")),
            "down" => args.Done(new ApiCall("POST", ApiCall.WithQuery("/api/cluster/down", ("address", args.Word("cluster down <address>"))), "result")),
            _ => throw CmdException.Usage($"unknown cluster command '{sub}' (show, leave, down)"),
        };
    }

    private static ApiCall Actor(Arguments args)
    {
        var sub = args.Word("actor hierarchy [-d <depth>]");
        if (sub != "hierarchy")
            throw CmdException.Usage($"unknown actor command '{sub}' (hierarchy)");
        var depth = args.Option("-d") ?? args.Option("--depth");
        if (depth is not null && (!int.TryParse(depth, out var d) || d < 0))
            throw CmdException.Usage($"-d needs a number of levels, got '{depth}'");
        var all = args.Flag("--all");
        return args.Done(new ApiCall("GET", ApiCall.WithQuery("/api/actors", ("depth", depth), ("all", all ? "true" : null)), "actors"));
    }

    private static ApiCall Firewall(Arguments args)
    {
        var node = args.Option("--node");
        var first = args.Word("firewall <id> | firewall trip|reset|drain <id>");
        if (FirewallActions.Contains(first))
        {
            var id = args.Word($"firewall {first} <id>");
            return args.Done(new ApiCall("POST", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(id)}/{first}", ("node", node)), "firewall"));
        }
        return args.Done(new ApiCall("GET", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(first)}", ("node", node)), "firewall"));
    }

    private static ApiCall Queue(Arguments args)
    {
        var cancel = args.Flag("--cancel");
        var bounce = args.Flag("--bounce");
        var connector = args.Option("--connector");
        var firewall = args.Option("--firewall");
        var state = args.Option("--state");
        var sender = args.Option("--sender");
        if (state is not null && !QueueStates.Contains(state))
            throw CmdException.Usage($"--state is one of {string.Join(", ", QueueStates)}, got '{state}'");
        var sub = args.OptionalWord();
        switch (sub)
        {
            case null:
                return new ApiCall("GET", ApiCall.WithQuery("/api/queue", ("connector", connector), ("firewall", firewall), ("state", state), ("sender", sender)), "queue");
            case "retry":
                return args.Done(new ApiCall("POST", ApiCall.WithQuery("/api/queue/retry", ("id", args.OptionalWord())), "result"));
            case "suspend" or "resume":
                return args.Done(new ApiCall("POST", $"/api/connectors/{ApiCall.Segment(args.Word($"queue {sub} <connector>"))}/{sub}", "result"));
            case "redirect" when cancel:
                return args.Done(new ApiCall("DELETE", $"/api/firewalls/{ApiCall.Segment(args.Word("queue redirect --cancel <firewall>"))}/redirect", "result"));
            case "redirect":
                var from = args.Word("queue redirect <firewall> <connector>");
                var to = args.Word("queue redirect <firewall> <connector>");
                return args.Done(new ApiCall("POST", ApiCall.WithQuery($"/api/firewalls/{ApiCall.Segment(from)}/redirect", ("to", to)), "result"));
            case "delete":
                var id = args.Word("queue delete <queue-id> [--bounce]");
                return args.Done(new ApiCall("DELETE", ApiCall.WithQuery($"/api/queue/{ApiCall.Segment(id)}", ("bounce", bounce ? "true" : null)), "result"));
            default:
                throw CmdException.Usage($"unknown queue command '{sub}' ({string.Join(", ", QueueActions)})");
        }
    }

    private static ApiCall Route(Arguments args)
    {
        var sub = args.Word("route test <address>");
        if (sub != "test")
            throw CmdException.Usage($"unknown route command '{sub}' (test)");
        return args.Done(new ApiCall("GET", $"/api/route/{ApiCall.Segment(args.Word("route test <address>"))}", "route"));
    }

    /// <summary>The words after the verb: options are taken out first, then positional words in order.</summary>
    private sealed class Arguments(IEnumerable<string> words)
    {
        private readonly List<string> _words = words.ToList();

        public string? Option(string name)
        {
            var index = _words.IndexOf(name);
            if (index < 0)
                return null;
            if (index + 1 >= _words.Count)
                throw CmdException.Usage($"{name} needs a value");
            var value = _words[index + 1];
            _words.RemoveRange(index, 2);
            return value;
        }

        public bool Flag(string name) => _words.Remove(name);

        public string? OptionalWord()
        {
            var index = _words.FindIndex(w => !w.StartsWith("--", StringComparison.Ordinal));
            if (index < 0)
                return null;
            var word = _words[index];
            _words.RemoveAt(index);
            return word;
        }

        public string Word(string usage) => OptionalWord() ?? throw CmdException.Usage($"usage: {usage}");

        public ApiCall Done(ApiCall call) =>
            _words.Count == 0 ? call : throw CmdException.Usage($"unexpected '{string.Join(' ', _words)}'");
    }
}
