using System.Diagnostics;

namespace Router.Tests.Admin;

/// <summary>
/// Finds Debian's <c>chromium</c> for the dashboard's browser tests and, when it is missing,
/// installs it with <c>apt-get</c> (once per test run, whichever test asks first), so that the
/// README's test command passes on a machine with only the .NET SDK. Playwright's own browser
/// download is never used: it needs a CDN this project does not assume. Where it cannot install
/// (not root, no <c>apt-get</c>, the install failed) the tests fail with the reason and the command
/// to run by hand.
/// </summary>
internal static class ChromiumProvisioner
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>How long the install may take: the package and its libraries are ~100 MB.</summary>
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    private static readonly Lazy<Task<string>> Installed = new(EnsureInstalledAsync);

    private const string ByHand = "DEBIAN_FRONTEND=noninteractive apt-get install -y chromium (as root, on Debian or Ubuntu)";

    /// <summary>The browser's path; installs it first when it is missing and this machine allows it.</summary>
    public static Task<string> EnsureAsync() => Installed.Value;

    private static async Task<string> EnsureInstalledAsync()
    {
        if (File.Exists(Chromium))
            return Chromium;
        if (!OperatingSystem.IsLinux())
            throw new InvalidOperationException($"{Chromium} is missing and this is not Linux: the dashboard tests need Debian's chromium ({ByHand}).");
        var aptGet = new[] { "/usr/bin/apt-get", "/bin/apt-get" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{Chromium} is missing and there is no apt-get to install it: the dashboard tests need Debian's chromium ({ByHand}).");
        if (!IsRoot())
            throw new InvalidOperationException($"{Chromium} is missing and installing it needs root: run {ByHand}, or run the tests as root.");

        Console.Error.WriteLine($"dashboard tests: {Chromium} is missing; installing Debian's chromium with apt-get (once)");
        // The package lists of a fresh machine may be empty or stale: update them first. A lock
        // held by another apt (unattended upgrades) is waited for rather than failed on.
        await RunAsync(aptGet, "-o DPkg::Lock::Timeout=300 update -qq");
        await RunAsync(aptGet, "-o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium");
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"apt-get installed chromium but {Chromium} is still missing.");
        return Chromium;
    }

    private static bool IsRoot()
    {
        // The effective uid of this process, from the kernel (no P/Invoke needed): "Uid: real effective ...".
        var uidLine = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var fields = uidLine?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 3 } && fields[2] == "0";
    }

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {arguments} did not finish within {InstallTimeout.TotalMinutes:0} min; install chromium by hand: {ByHand}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{file} {arguments} failed (exit {process.ExitCode}): {Tail(await error + await output)}\nInstall chromium by hand: {ByHand}");
    }

    private static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= 2000 ? trimmed : "…" + trimmed[^2000..];
    }
}
