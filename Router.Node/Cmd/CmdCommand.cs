using Spectre.Console;

namespace Router.Node.Cmd;

/// <summary><c>router cmd</c> on the real console: Ctrl-C stops the running command; at the prompt it drops the line.</summary>
public static class CmdCommand
{
    private const int RedirectedWidth = 200;

    public static async Task<int> RunAsync(string[] args)
    {
        // Piped into a file or another program there is no terminal width to respect: tables keep their full width.
        if (Console.IsOutputRedirected)
            AnsiConsole.Console.Profile.Width = RedirectedWidth;
        var runner = new CmdRunner(AnsiConsole.Console, Console.Out, Console.Error);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            if (!runner.CancelCurrent())
                stop.Cancel();
        };
        var keys = Console.IsInputRedirected ? null : new ConsoleKeySource();
        return await runner.RunAsync(args, keys, stop.Token);
    }

    private sealed class ConsoleKeySource : IKeySource
    {
        public ConsoleKeyInfo ReadKey()
        {
            // At the prompt Ctrl-C is a key (drop the line), not a signal.
            Console.TreatControlCAsInput = true;
            try
            {
                return Console.ReadKey(intercept: true);
            }
            finally
            {
                Console.TreatControlCAsInput = false;
            }
        }
    }
}
