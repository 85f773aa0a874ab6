namespace Router.Node.Cmd;

/// <summary>
/// Tab completion for the interactive client: commands, sub-commands and options, and the node's
/// firewall and connector ids where a command takes one.
/// </summary>
public sealed class Completer(IReadOnlyList<string> firewalls, IReadOnlyList<string> connectors)
{
    /// <summary>Every word that can stand where the last (partial) word of <paramref name="lineBeforeCursor"/> is, sorted.</summary>
    public IReadOnlyList<string> Complete(string lineBeforeCursor)
    {
        var endsWithSpace = lineBeforeCursor.Length > 0 && char.IsWhiteSpace(lineBeforeCursor[^1]);
        var words = lineBeforeCursor.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var partial = endsWithSpace || words.Count == 0 ? string.Empty : words[^1];
        if (!endsWithSpace && words.Count > 0)
            words.RemoveAt(words.Count - 1);
        return Candidates(words)
            .Where(c => c.StartsWith(partial, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private IEnumerable<string> Candidates(List<string> before)
    {
        if (before.Count == 0)
            return CommandParser.Verbs;
        var previous = before[^1];
        switch (previous)
        {
            case "--connector":
                return connectors;
            case "--firewall":
                return firewalls;
            case "--state":
                return CommandParser.QueueStates;
            case "--node" or "-d" or "--sender":
                return [];
        }
        var verb = before[0];
        var positional = before.Skip(1).Where((w, i) => !w.StartsWith('-')).ToList();
        return verb switch
        {
            "cluster" when before.Count == 1 => ["show", "leave", "down"],
            "actor" when before.Count == 1 => ["hierarchy"],
            "actor" => ["-d", "--all"],
            "route" when before.Count == 1 => ["test"],
            "firewall" when positional.Count == 0 => [.. CommandParser.FirewallActions, .. firewalls],
            "firewall" when positional.Count == 1 && CommandParser.FirewallActions.Contains(positional[0]) => firewalls,
            "firewall" => ["--node"],
            "queue" when positional.Count == 0 => [.. CommandParser.QueueActions, "--connector", "--firewall", "--state", "--sender"],
            "queue" => (positional[0], positional.Count) switch
            {
                ("suspend" or "resume", 1) => connectors,
                ("redirect", 1) => [.. firewalls, "--cancel"],
                ("redirect", 2) when !before.Contains("--cancel") => connectors,
                ("delete", 2) => ["--bounce"],
                _ => [],
            },
            _ => [],
        };
    }
}
