using Router.Node.Admin;
using Spectre.Console;

namespace Router.Node.Cmd;

/// <summary>
/// <c>router cmd</c> without a command: a prompt (<c>[host:port] router&gt;</c>) with history and
/// Tab completion of commands and of the node's firewall and connector ids, fetched on connect.
/// Ctrl-C stops a running command (a <c>tail</c>) and drops a half-typed line; <c>exit</c> or
/// Ctrl-D leaves. Without a terminal (input redirected) it reads one command per line.
/// </summary>
public sealed class InteractiveShell(CmdRunner runner, AdminClient client, IAnsiConsole console, IKeySource? keys)
{
    public async Task<int> RunAsync(bool json, CancellationToken cancellationToken)
    {
        NodeInfo info;
        Completer completer;
        try
        {
            info = await client.GetAsync<NodeInfo>(new ApiCall("GET", "/api", "info"), cancellationToken);
            var firewalls = await client.GetAsync<FirewallView[]>(new ApiCall("GET", "/api/firewalls", "firewalls"), cancellationToken);
            var connectors = await client.GetAsync<ConnectorView[]>(new ApiCall("GET", "/api/connectors", "connectors"), cancellationToken);
            completer = new Completer(firewalls.Select(f => f.Id).ToArray(), connectors.Select(c => c.Id).ToArray());
        }
        catch (CmdException ex)
        {
            return runner.Fail(ex);
        }

        console.MarkupLineInterpolated($"Connected to node [bold]{info.Node}[/] ({info.Address}) at {client.Endpoint}. Type help, Tab to complete, exit to leave.");
        var editor = keys is null ? null : new LineEditor(keys, console.Profile.Out.Writer, completer.Complete);
        var prompt = $"[{client.Endpoint}] router> ";
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            if (editor is not null)
                line = editor.ReadLine(prompt);
            else
            {
                console.Profile.Out.Writer.Write(prompt);
                line = await Console.In.ReadLineAsync(cancellationToken);
            }
            if (line is null)
                break;
            IReadOnlyList<string> words;
            try
            {
                words = CommandParser.Split(line);
            }
            catch (CmdException ex)
            {
                runner.Fail(ex);
                continue;
            }
            if (words.Count == 0)
                continue;
            if (words is ["exit"] or ["quit"])
                break;
            var commandJson = json || words.Contains("--json");
            // A failed command is reported and the prompt goes on; leaving the prompt is success.
            await runner.ExecuteAsync(client, words.Where(w => w != "--json").ToArray(), commandJson, cancellationToken);
        }
        return 0;
    }
}
