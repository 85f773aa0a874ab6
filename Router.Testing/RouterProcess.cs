using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Router.Testing;

/// <summary>The real `router` executable as a child process, for tests that kill it.</summary>
public sealed partial class RouterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private readonly List<Action<string>> _lineWatchers = [];

    private RouterProcess(Process process) => _process = process;

    public string Output => string.Join("\n", _output);

    public static async Task<RouterProcess> StartAsync(string configPath, TimeSpan timeout, int warmUpMessages = 0)
    {
        var router = Launch(configPath, warmUpMessages);
        try
        {
            await router._listening.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await router.DisposeAsync();
            throw new TimeoutException($"router did not open its listener within {timeout}:\n{router.Output}");
        }
        return router;
    }

    /// <summary>Starts the process and returns at once, before it has opened anything.</summary>
    /// <param name="warmUpMessages">router.warm-up.messages, through the environment (ROUTER_WARM_UP_MESSAGES); default 0, off.</param>
    public static RouterProcess Launch(string configPath, int warmUpMessages = 0)
    {
        var routerDll = Path.Combine(AppContext.BaseDirectory, "router.dll");
        // A child inherits ignored signals: a test run started as a background job (`dotnet test &`
        // without job control) ignores SIGINT, and one started under nohup ignores SIGHUP, and so would
        // every router it starts, which then cannot be stopped with Ctrl-C or reloaded with SIGHUP.
        // env --default-signal gives the router the dispositions a terminal gives it.
        var info = OperatingSystem.IsLinux() && File.Exists("/usr/bin/env")
            ? new ProcessStartInfo("/usr/bin/env", $"--default-signal=INT,HUP dotnet \"{routerDll}\" run --config \"{configPath}\"")
            : new ProcessStartInfo("dotnet", $"\"{routerDll}\" run --config \"{configPath}\"");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        // Tests start many processes: none sends the start-up warm-up's synthetic mail unless the test asks for it.
        info.Environment["ROUTER_WARM_UP_MESSAGES"] = warmUpMessages.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var router = new RouterProcess(process);
        process.OutputDataReceived += (_, e) => router.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => router.OnLine(e.Data);
        process.Exited += (_, _) => router._listening.TrySetException(new InvalidOperationException($"router exited with {process.ExitCode}:\n{router.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return router;
    }

    /// <summary>Completes as soon as the process has printed a line matching <paramref name="pattern"/>.</summary>
    public async Task WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(string line)
        {
            if (pattern.IsMatch(line))
                seen.TrySetResult();
        }
        lock (_lineWatchers)
            _lineWatchers.Add(Check);
        foreach (var line in _output)
            Check(line);
        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"router printed no line matching /{pattern}/ within {timeout}:\n{Output}");
        }
        finally
        {
            lock (_lineWatchers)
                _lineWatchers.Remove(Check);
        }
    }

    public bool HasExited => _process.HasExited;

    public IPEndPoint Smtp => _listening.Task.Result;

    /// <summary>SIGKILL: no shutdown code runs, like a crash or power loss of the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public const int SigInt = 2;
    public const int SigTerm = 15;

    /// <summary>SIGTERM (what systemd and `kill` send) or SIGINT (Ctrl-C): the node should stop gracefully.</summary>
    public void Terminate(int signal = SigTerm)
    {
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <exception cref="TimeoutException">The process still runs after <paramref name="timeout"/>; the message carries its output's last lines.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            var tail = string.Join('\n', _output.TakeLast(40));
            throw new TimeoutException($"the router process did not exit within {timeout.TotalSeconds:0}s; its last output lines:\n{tail}", e);
        }
        return _process.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        Action<string>[] watchers;
        lock (_lineWatchers)
            watchers = [.. _lineWatchers];
        foreach (var watcher in watchers)
            watcher(line);
        var match = ListenerLine().Match(line);
        if (match.Success)
            _listening.TrySetResult(IPEndPoint.Parse(match.Groups[1].Value));
    }

    [GeneratedRegex(@"SMTP listener open on (\S+)")]
    private static partial Regex ListenerLine();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            await KillAsync();
        _process.Dispose();
    }
}
