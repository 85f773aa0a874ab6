using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Node.Hosting;
using Serilog;
using Serilog.Events;

namespace Router.Node;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RouterCommandLine.InvokeAsync(args);
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

    /// <summary><c>router run</c>: a node from <paramref name="explicitConfig"/> (default hocon/router.conf, else the embedded defaults) until it is stopped.</summary>
    internal static async Task<int> RunAsync(string? explicitConfig)
    {
        // SIGTERM and Ctrl-C are ours from the first moment: before the host exists the default
        // action would end the process with 143, and while it starts a cancelled start used to
        // escape as an unhandled exception (exit 134), which a service manager records as a crash.
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnStopSignal(context, stop));
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnStopSignal(context, stop));

        var path = explicitConfig ?? Path.Combine("hocon", "router.conf");
        if (explicitConfig is not null && !File.Exists(path))
            return Fail($"configuration file not found: {path}");
        // Without the default file (e.g. run from another directory) the embedded defaults apply.
        var config = RouterConfig.Load(File.Exists(path) ? path : null);
        var options = RouterConfig.ToOptions(config);

        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // Each failed probe of /health/ready would be an error line; HealthEndpoints logs each change once instead.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
            .Enrich.FromLogContext()
            // A start cancelled by SIGTERM is a clean stop, not "Hosting failed to start" with a trace.
            .Filter.ByExcluding(e => stop.IsCancellationRequested && e.Exception is OperationCanceledException)
            .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} [{SourceContext}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        try
        {
            Log.Information("Starting node {Node} from {Config}", options.NodeName, File.Exists(path) ? path : "embedded defaults");
            if (stop.IsCancellationRequested)
            {
                Log.Information("Stop requested before the node started; nothing to stop");
                return 0;
            }
            await StartupWarmUp.RunAsync(StartupWarmUp.FromEnvironment(options.WarmUp), stop.Token);
            if (stop.IsCancellationRequested)
            {
                Log.Information("Stop requested during the warm-up; the node was not started");
                return 0;
            }
            var host = RouterHost.Build(options, logging => logging.AddSerilog(dispose: false));
            // Disposing the host disposes the spool (it flushes asynchronously).
            await using (host as IAsyncDisposable)
            {
                try
                {
                    await host.StartAsync(stop.Token);
                }
                catch (Exception ex) when (stop.IsCancellationRequested)
                {
                    // Stopped while starting: stop what did start (the listener closes, the actors
                    // and the spool stop) and exit as a clean stop. Mail acknowledged earlier is on disk.
                    if (ex is OperationCanceledException)
                        Log.Information("Stop requested during start-up; stopping what started");
                    else
                        Log.Warning(ex, "Stop requested during start-up, which then failed; stopping what started");
                    await host.StopAsync(CancellationToken.None);
                    Log.Information("Node {Node} stopped", options.NodeName);
                    return 0;
                }
                // Returns once a signal, `cluster leave` or the actor system's end asked the host to
                // stop, and the host has stopped.
                await host.WaitForShutdownAsync(stop.Token);
            }
            Log.Information("Node {Node} stopped", options.NodeName);
            return 0;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    private static void OnStopSignal(PosixSignalContext context, CancellationTokenSource stop)
    {
        // Cancel the default action (terminate); the host stops in order instead.
        context.Cancel = true;
        stop.Cancel();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"router: {message}");
        return 2;
    }
}
