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

    private RouterProcess(Process process) => _process = process;

    public string Output => string.Join("\n", _output);

    public static async Task<RouterProcess> StartAsync(string configPath, TimeSpan timeout)
    {
        var routerDll = Path.Combine(AppContext.BaseDirectory, "router.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{routerDll}\" run --config \"{configPath}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var router = new RouterProcess(process);
        process.OutputDataReceived += (_, e) => router.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => router.OnLine(e.Data);
        process.Exited += (_, _) => router._listening.TrySetException(new InvalidOperationException($"router exited with {process.ExitCode}:\n{router.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
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

    public IPEndPoint Smtp => _listening.Task.Result;

    /// <summary>SIGKILL: no shutdown code runs, like a crash or power loss of the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: what systemd and `kill` send; the node should stop gracefully.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0)
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
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
