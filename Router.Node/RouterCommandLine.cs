using System.CommandLine;
using System.CommandLine.Parsing;
using Router.Node.Cmd;
using Router.Node.Demo;

namespace Router.Node;

/// <summary>
/// The <c>router</c> executable's verbs and options as one System.CommandLine tree: <c>run</c> (the
/// default), <c>demo</c>, <c>cmd</c> with every operator command under it, and <c>hash-password</c>.
/// The library gives <c>--help</c> on every verb and command, typed options with validation, response
/// files (<c>@file</c>) and shell completion (the <c>[suggest]</c> directive). Exit codes: a wrong
/// command line is 2, like the operator client's usage errors.
/// </summary>
public static class RouterCommandLine
{
    public const int UsageError = CmdException.UsageError;

    public static RootCommand Build(string[] args)
    {
        var config = new Option<string?>("--config")
        {
            Description = "the node's HOCON file (default hocon/router.conf; without it, the embedded defaults)",
            HelpName = "file",
        };
        var run = new Command("run", "start a node (the default verb)") { config };
        run.SetAction((result, _) => Program.RunAsync(result.GetValue(config)));

        var messages = new Option<int>("--messages")
        {
            Description = "messages the demo sends (at least 10)",
            DefaultValueFactory = _ => 500,
            HelpName = "n",
            CustomParser = r =>
            {
                if (int.TryParse(r.Tokens.Single().Value, out var n) && n >= 10)
                    return n;
                r.AddError($"--messages needs a whole number of at least 10, got '{r.Tokens.Single().Value}'");
                return 0;
            },
        };
        var demo = new Command("demo", "a self-contained demo: a node and two fake firewalls in this process, one killed and revived under load") { messages };
        demo.SetAction((result, _) => DemoCommand.RunAsync(result.GetValue(messages)));

        var cmd = new Command("cmd", "the operator client (after Petabridge.Cmd's pbm): one command, or an interactive prompt without one");
        var operatorCommands = new OperatorCommands(parent: cmd);
        var help = new Command("help", "list the operator commands, one line each");
        cmd.Add(help);
        // The client parses its words again with the same tree (it also serves the interactive prompt).
        Func<ParseResult, CancellationToken, Task<int>> runCmd = (_, _) => CmdCommand.RunAsync(args.Skip(1).ToArray());
        cmd.SetAction(runCmd);
        help.SetAction(runCmd);
        operatorCommands.SetAction(runCmd);

        var passwordStdin = new Option<bool>("--password-stdin") { Description = "read the password from standard input instead of asking twice" };
        var iterations = new Option<int?>("--iterations")
        {
            Description = $"PBKDF2 iterations (default {Router.Actors.Ingress.Auth.PasswordHash.DefaultIterations})",
            HelpName = "n",
        };
        var hashPassword = new Command("hash-password", "print a salted hash of a password for router.smtp.auth.users") { passwordStdin, iterations };
        hashPassword.SetAction(_ => HashPasswordCommand.Run(args.Skip(1).ToArray()));

        var root = new RootCommand("router: an actor-based SMTP mail router (run, demo, cmd, hash-password); without a verb, run") { run, demo, cmd, hashPassword };
        // `router --config x` and bare `router` run a node, as before there were verbs.
        root.Add(config);
        root.SetAction((result, _) => Program.RunAsync(result.GetValue(config)));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>: a wrong command line prints its error and the way to help, exit 2.</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var result = Build(args).Parse(args);
        if (result.Errors.Count > 0 && result.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in result.Errors)
                await Console.Error.WriteLineAsync($"router: {error.Message}");
            var command = string.Join(' ', CommandPath(result.CommandResult));
            await Console.Error.WriteLineAsync($"router: see '{command} --help'");
            return UsageError;
        }
        // The node handles SIGTERM and Ctrl-C itself (an orderly stop); the library must not end the process first.
        return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? current = result; current is CommandResult command; current = current.Parent)
            names.Push(command.Parent is null ? "router" : command.Command.Name);
        return names;
    }
}
