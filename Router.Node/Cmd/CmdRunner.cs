using System.Text.Json;
using Router.Node.Admin;
using Spectre.Console;

namespace Router.Node.Cmd;

/// <summary>
/// <c>router cmd</c>: the operator client. One-shot (<c>router cmd firewalls</c>) or, with no
/// command, an interactive prompt. People get tables on <see cref="IAnsiConsole"/>; <c>--json</c>
/// writes the API's JSON to <paramref name="output"/> for scripts; errors are one line on
/// <paramref name="error"/> and a non-zero exit code (see <see cref="CmdException"/>).
/// </summary>
public sealed class CmdRunner(IAnsiConsole console, TextWriter output, TextWriter error)
{
    private volatile CancellationTokenSource? _current;

    public const string DefaultEndpoint = "127.0.0.1:9110";
    public const string EndpointVariable = "ROUTER_ADMIN_ENDPOINT";
    public const string TokenVariable = "ROUTER_ADMIN_TOKEN";

    public const string Usage = """
        usage: router cmd [--endpoint host:port] [--token T] [<command>] [--json]
          --endpoint   the node's admin endpoint (default $ROUTER_ADMIN_ENDPOINT or 127.0.0.1:9110)
          --token      its router.admin.token (default $ROUTER_ADMIN_TOKEN)
          without a command: an interactive prompt with history and Tab completion
        commands:
        """;

    /// <summary>Runs <c>router cmd</c> with its arguments; <paramref name="keys"/> drives the interactive prompt when there is no command.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args, IKeySource? keys, CancellationToken cancellationToken)
    {
        AdminClient client;
        List<string> words;
        bool json;
        try
        {
            words = [.. args];
            var endpoint = TakeOption(words, "--endpoint") ?? Environment.GetEnvironmentVariable(EndpointVariable) ?? DefaultEndpoint;
            var token = TakeOption(words, "--token") ?? Environment.GetEnvironmentVariable(TokenVariable);
            json = words.Remove("--json");
            client = new AdminClient(endpoint, token);
        }
        catch (CmdException ex)
        {
            return Fail(ex);
        }

        using (client)
        {
            if (words.Count > 0)
                return await ExecuteAsync(client, words, json, cancellationToken);
            var shell = new InteractiveShell(this, client, console, keys);
            return await shell.RunAsync(json, cancellationToken);
        }
    }

    /// <summary>Runs one command against the node; the exit code it returns is the process's.</summary>
    public async Task<int> ExecuteAsync(AdminClient client, IReadOnlyList<string> words, bool json, CancellationToken cancellationToken)
    {
        using var current = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _current = current;
        try
        {
            return await ExecuteCoreAsync(client, words, json, current.Token);
        }
        finally
        {
            _current = null;
        }
    }

    /// <summary>Ctrl-C: stops the command that runs now (a tail), not the interactive prompt. False when none runs.</summary>
    public bool CancelCurrent()
    {
        var current = _current;
        if (current is null)
            return false;
        current.Cancel();
        return true;
    }

    private async Task<int> ExecuteCoreAsync(AdminClient client, IReadOnlyList<string> words, bool json, CancellationToken cancellationToken)
    {
        try
        {
            if (words is ["help"] or ["--help"] or ["-h"])
            {
                console.WriteLine(Usage + CommandParser.Help);
                return 0;
            }
            var call = CommandParser.Parse(words);
            if (call.View == "tail")
                return await TailAsync(client, call, json, cancellationToken);
            if (call.OutputFile is { } file)
            {
                var written = await client.DownloadAsync(call, file, cancellationToken);
                await output.WriteLineAsync($"wrote {written} bytes to {file}");
                return 0;
            }
            var answer = await client.SendAsync(call, cancellationToken);
            if (json)
                await output.WriteLineAsync(JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(answer), AdminJson.Indented));
            else
                CmdRenderer.Render(console, call.View, answer);
            // --all-nodes answers every node; one that refused makes it an error like a single node's refusal.
            // So does a node that did not act on a command meant for every node.
            return CmdRenderer.AnyReloadRefused(call.View, answer) || CmdRenderer.AnyNodeRefused(call.View, answer) ? CmdException.NodeError : 0;
        }
        catch (CmdException ex)
        {
            return Fail(ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private async Task<int> TailAsync(AdminClient client, ApiCall call, bool json, CancellationToken cancellationToken)
    {
        void Subscribed()
        {
            if (!json)
                console.MarkupLineInterpolated($"[grey]tailing health and routing events of {client.Endpoint}; Ctrl-C to stop[/]");
        }

        try
        {
            await foreach (var data in client.TailAsync(call, Subscribed, cancellationToken))
            {
                if (json)
                {
                    await output.WriteLineAsync(data);
                    await output.FlushAsync(cancellationToken);
                }
                else
                    CmdRenderer.TailLine(console, data);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        if (cancellationToken.IsCancellationRequested)
            return 0;
        return Fail(new CmdException($"the node at {client.Endpoint} closed the event stream", CmdException.Unreachable));
    }

    internal int Fail(CmdException ex)
    {
        error.WriteLine($"router cmd: {ex.Message}");
        return ex.ExitCode;
    }

    private static string? TakeOption(List<string> words, string name)
    {
        var index = words.IndexOf(name);
        if (index < 0)
            return null;
        if (index + 1 >= words.Count)
            throw CmdException.Usage($"{name} needs a value");
        var value = words[index + 1];
        words.RemoveRange(index, 2);
        return value;
    }
}
