using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Node.Cmd;
using Router.Node.Demo;
using Router.Node.Hosting;
using Serilog;
using Serilog.Events;

namespace Router.Node;

public static class Program
{
    private const string Usage = """
        usage: router [run] [--config <file>]     start a node (default verb; config defaults to hocon/router.conf)
               router demo [--messages <n>]       start a self-contained demo with two fake firewalls
               router cmd [--endpoint host:port] [--token T] [<command>] [--json]
                                                  the operator client (router cmd help lists the commands)
               router hash-password [--password-stdin] [--iterations <n>]
                                                  print a salted hash for router.smtp.auth.users
               router --help
        """;

    public static async Task<int> Main(string[] args)
    {
        var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        var rest = verb == "run" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args.Skip(1).ToArray();
        if (verb != "cmd" && (args.Contains("--help") || args.Contains("-h")))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        try
        {
            return verb switch
            {
                "run" => await RunAsync(rest),
                "demo" => await DemoCommand.RunAsync(rest),
                "cmd" => await CmdCommand.RunAsync(rest),
                "hash-password" => HashPasswordCommand.Run(rest),
                _ => Fail($"unknown verb '{verb}'\n{Usage}"),
            };
        }
        catch (RouterConfigException ex)
        {
            // Every problem of the file, one line each, each naming its key.
            return Fail(string.Join("\nrouter: ", ex.Errors.Select(error => $"configuration error: {error}")));
        }
        catch (ArgumentException ex)
        {
            return Fail(ex.Message);
        }
        catch (IOException ex)
        {
            // A spool that is locked, unreadable or on a full disk, a port already in use: the
            // operator needs the reason, not a stack trace.
            return Fail($"cannot start: {ex.Message}");
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var explicitConfig = Option(args, "--config");
        var path = explicitConfig ?? Path.Combine("hocon", "router.conf");
        if (explicitConfig is not null && !File.Exists(path))
            return Fail($"configuration file not found: {path}");
        // Without the default file (e.g. run from another directory) the embedded defaults apply.
        var config = RouterConfig.Load(File.Exists(path) ? path : null);
        var options = RouterConfig.ToOptions(config);

        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} [{SourceContext}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        try
        {
            Log.Information("Starting node {Node} from {Config}", options.NodeName, File.Exists(path) ? path : "embedded defaults");
            var host = RouterHost.Build(options, logging => logging.AddSerilog(dispose: false));
            // RunAsync stops and disposes the host (asynchronously: the spool flushes on dispose).
            await host.RunAsync();
            Log.Information("Node {Node} stopped", options.NodeName);
            return 0;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    internal static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        if (index < 0)
            return null;
        if (index + 1 >= args.Length)
            throw new ArgumentException($"{name} needs a value");
        return args[index + 1];
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"router: {message}");
        return 2;
    }
}
