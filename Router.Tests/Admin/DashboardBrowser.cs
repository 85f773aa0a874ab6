using Microsoft.Playwright;

namespace Router.Tests.Admin;

/// <summary>
/// Headless Chromium driven by Playwright: Debian's <c>chromium</c> package, installed on first use by
/// <see cref="ChromiumProvisioner"/> where it is missing, never Playwright's browser download. Fails,
/// not skips, when it cannot be had (with the reason). Collects the page's
/// console errors and uncaught exceptions, so a test can assert that the page ran cleanly.
/// </summary>
internal sealed class DashboardBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private DashboardBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Console errors and uncaught exceptions of every page opened so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
                return _errors.ToArray();
        }
    }

    public static async Task<DashboardBrowser> LaunchAsync()
    {
        var chromium = await ChromiumProvisioner.EnsureAsync();
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
            return new DashboardBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a fresh context (its own sessionStorage), 1280×900.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsExpected(message.Text))
                lock (_errors)
                    _errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
                _errors.Add($"page error: {error}");
        };
        return page;
    }

    /// <summary>
    /// Chromium logs every non-2xx fetch as a console error; the 401s of a page that has no token
    /// yet (or a wrong one) are the page working as designed.
    /// </summary>
    private static bool IsExpected(string text) => text.Contains("401 (Unauthorized)", StringComparison.Ordinal);

    /// <summary>The screenshot's path: <c>TestResults/&lt;name&gt;</c> next to the test assembly.</summary>
    public static string ScreenshotPath(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
