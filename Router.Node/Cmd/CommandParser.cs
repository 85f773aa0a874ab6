using System.Text;

namespace Router.Node.Cmd;

/// <summary>
/// The operator client's command lines: split into words (quotes keep spaces) and parsed by the
/// command tree of <see cref="OperatorCommands"/> into <see cref="ApiCall"/>s. A wrong command gives a
/// <see cref="CmdException"/> with a one-line usage hint.
/// </summary>
public static class CommandParser
{
    private static readonly OperatorCommands Tree = new();

    /// <summary>Commands of the interactive prompt besides the tree's: help and exit.</summary>
    public static readonly IReadOnlyList<string> PromptVerbs = ["help", "exit"];

    /// <summary>Top-level commands, for help and tab completion.</summary>
    public static IReadOnlyList<string> Verbs { get; } = [.. Tree.Commands.Select(c => c.Name), .. PromptVerbs];

    /// <summary>The interactive prompt's <c>help</c>: one line per command (each command's <c>--help</c> has the details).</summary>
    public const string Help = """
        cluster show                                  members, status, reachability, leader; each one's queue, rates, config hash
        cluster leave [<address>]                     that node (default: this one) hands its queue to the others, leaves, stops
        cluster down <address>                        remove a node now (gone or hung; its queue is not handed over)
        actor hierarchy [-d <depth>] [--all]          the node's actor tree (--all: from the root, system actors too)
        firewalls                                     every firewall: state, since, failures, connections, counts
        firewall <id> [--node <n>]                    one firewall
        firewall trip|reset|drain <id> [--node <n>]   operator health commands
        connectors                                    every connector: address spaces, state, backlog, redirects
        queue [--connector <c>] [--firewall <f>] [--state queued|deferred|parked|handing-over] [--sender <a>] [--node <n>]
        queue retry [<queue-id>] [--node <n>]         deferred and parked mail (or one message, on the node holding it) now
        queue suspend|resume <connector> [--node <n>] no new work for a connector / take work again (every node by default)
        queue redirect <firewall> <connector>         mail for a firewall goes to another connector (every node; --node <n>)
        queue redirect --cancel <firewall>            end a redirect
        queue delete <queue-id> [--bounce]            remove a message, on the node holding it (--bounce: its sender is told)
        route test <address>                          how mail for this recipient is routed now, step by step
        tail                                          live health and routing events until Ctrl-C
        track <message-id or queue-id>                a message's history from the tracking log
        help, exit
        Add --json to any command for the API's JSON; <command> --help for its options.
        """;

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
    public static ApiCall Parse(IReadOnlyList<string> words) => Tree.Parse(words);
}
