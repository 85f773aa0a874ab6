using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Router.Messages.Configuration;
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
        NoIdleSpinOnOneCpu();
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

    /// <summary>
    /// With one CPU or less (a machine with one core, or a cgroup quota of at most one CPU, which .NET counts as one
    /// processor), an idle thread-pool worker does not spin before it sleeps. On one processor the spin is
    /// <c>sched_yield</c> calls (up to 70 per idle transition), and under a quota every one is CPU the node pays for:
    /// three nodes at 0.2 CPU each with shadow copies on made ~400 of them per message (`perf stat`; ~10 without the
    /// spin), and on a loaded machine (load average 9-11) their CPU per message fell from 1.32 / 1.65 to 1.21 / 1.01 ms
    /// (README, "Cluster scale-out"). With more CPUs the spin stays:
    /// there it lets a worker pick up the next item without a wake-up (bench/README.md measured the spin limit at 0 on
    /// two cores: 5-11% fewer deliveries per second). Set before any thread-pool work, which reads it once; an
    /// operator's <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c> is left alone.
    /// </summary>
    private static void NoIdleSpinOnOneCpu()
    {
        if (Environment.ProcessorCount == 1 && Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is null)
            AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0);
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
        // SIGHUP reloads the configuration file (its default action would end the process); before the node runs it is ignored.
        IHost? running = null;
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => OnReloadSignal(context, Volatile.Read(ref running)));

        var path = explicitConfig ?? Path.Combine("hocon", "router.conf");
        if (explicitConfig is not null && !File.Exists(path))
            return Fail($"configuration file not found: {path}");
        // Without the default file (e.g. run from another directory) the embedded defaults apply.
        var config = RouterConfig.Load(File.Exists(path) ? path : null);
        var options = RouterConfig.ToOptions(config) with { SourcePath = File.Exists(path) ? Path.GetFullPath(path) : null };

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
            if (IgnoredAtStart(signal: 2))
                Log.Warning("SIGINT was ignored when this process started (a background job or nohup): Ctrl-C will not stop this node; SIGTERM will");
            if (IgnoredAtStart(signal: 1))
                Log.Warning("SIGHUP was ignored when this process started (nohup): it will not reload the configuration; `router cmd config reload` will");
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
                Volatile.Write(ref running, host);
                // Returns once a signal, `cluster leave` or the actor system's end asked the host to
                // stop, and the host has stopped.
                await host.WaitForShutdownAsync(stop.Token);
                Volatile.Write(ref running, null);
            }
            Log.Information("Node {Node} stopped", options.NodeName);
            return 0;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    /// <summary>
    /// Whether the signal is ignored, inherited from the parent (SIGINT: a shell's background job without job
    /// control; SIGHUP: nohup). The runtime keeps an inherited ignore, so the handler above never runs.
    /// </summary>
    private static bool IgnoredAtStart(int signal)
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            // A hexadecimal mask; bit n-1 is signal n (SIGHUP 1, SIGINT 2).
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }

    private static void OnStopSignal(PosixSignalContext context, CancellationTokenSource stop)
    {
        // Cancel the default action (terminate); the host stops in order instead.
        context.Cancel = true;
        stop.Cancel();
    }

    private static void OnReloadSignal(PosixSignalContext context, IHost? host)
    {
        context.Cancel = true;
        if (host is null)
        {
            Log.Warning("SIGHUP ignored: the node is not running yet (or is stopping); send it again once it runs to reload the configuration");
            return;
        }
        // The reload actor logs the outcome; the answer is awaited only so that it is not a dead letter.
        var config = host.Services.GetRequiredService<ActorRegistry>().Get<ConfigReloadActor>();
        _ = config.Ask<ConfigReloadResult>(new ReloadConfig("SIGHUP"), TimeSpan.FromMinutes(1));
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"router: {message}");
        return 2;
    }
}
