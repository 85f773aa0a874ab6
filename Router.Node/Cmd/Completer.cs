using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;

namespace Router.Node.Cmd;

/// <summary>
/// Tab completion for the interactive client, asked of the same command tree that parses the
/// commands (<see cref="OperatorCommands"/>): sub-commands, the command's own options, and the
/// node's firewall and connector ids where a command or option takes one.
/// </summary>
public sealed class Completer(IReadOnlyList<string> firewalls, IReadOnlyList<string> connectors)
{
    private readonly OperatorCommands _tree = new(firewalls, connectors);

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
        var result = _tree.Root.Parse(before);
        var command = result.CommandResult.Command;
        if (ReferenceEquals(command, _tree.Root))
            return [];

        // Right after an option that takes a value: that option's values.
        if (OptionNamed(result.CommandResult, before[^1]) is { } option)
            return option.ValueType == typeof(bool) ? Offered(result.CommandResult) : Labels(option.GetCompletions(CompletionContext.Empty));
        return Offered(result.CommandResult);
    }

    /// <summary>The command's sub-commands, the values of its next argument and its own (not inherited) options.</summary>
    private static IEnumerable<string> Offered(CommandResult result)
    {
        var command = result.Command;
        var next = command.Arguments.FirstOrDefault(a => result.GetResult(a) is not { Tokens.Count: > 0 });
        return command.Subcommands.Select(c => c.Name)
            .Concat(next is null ? [] : Labels(next.GetCompletions(CompletionContext.Empty)))
            .Concat(command.Options.Where(o => !o.Recursive && o is not System.CommandLine.Help.HelpOption && o is not VersionOption).Select(o => o.Name));
    }

    /// <summary>An option of the command or inherited from its parents, by name or alias.</summary>
    private static Option? OptionNamed(CommandResult result, string word)
    {
        for (SymbolResult? current = result; current is CommandResult commandResult; current = current.Parent)
        {
            var option = commandResult.Command.Options.FirstOrDefault(o => o.Name == word || o.Aliases.Contains(word));
            if (option is not null && (ReferenceEquals(commandResult, result) || option.Recursive))
                return option;
        }
        return null;
    }

    private static IEnumerable<string> Labels(IEnumerable<CompletionItem> items) => items.Select(i => i.Label);
}
