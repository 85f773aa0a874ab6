using System.Security.Cryptography;
using System.Text;

namespace Router.Actors.Configuration;

/// <summary>One loaded configuration: the options, where they came from, the hash of the file's bytes and when it was loaded.</summary>
/// <param name="Hash">SHA-256 of the file as read, lowercase hex (of the empty text for the embedded defaults).</param>
/// <param name="RoutingHash">SHA-256 over the firewall and connector sections as validated (defaults applied): two nodes with the same routing have the same value.</param>
public sealed record LoadedConfig(RouterOptions Options, string? Path, string Hash, string RoutingHash, DateTimeOffset LoadedAt)
{
    /// <summary>The options as loaded from <paramref name="path"/> at <paramref name="now"/>; <paramref name="text"/> is the file as read.</summary>
    public static LoadedConfig From(RouterOptions options, string? path, string text, DateTimeOffset now) =>
        new(options, path, HashOf(text), RoutingHashOf(options), now);

    public static string HashOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The firewall and connector sections, canonical: keys sorted, defaults applied, so that formatting does not count.</summary>
    public static string RoutingHashOf(RouterOptions options)
    {
        var keys = ConfigDiff.Flatten(options.Hocon)
            .Where(k => k.Key.StartsWith("router.firewalls.", StringComparison.Ordinal) || k.Key.StartsWith("router.connectors.", StringComparison.Ordinal)
                || k.Key.StartsWith("router.firewall-defaults.", StringComparison.Ordinal))
            .OrderBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => $"{k.Key}={k.Value}");
        return HashOf(string.Join('\n', keys));
    }
}

/// <summary>
/// The configuration a node runs now: set at start-up, replaced by each reload that was applied.
/// Read by the admin endpoint (<c>GET /api</c>, the firewall and connector listings) from any thread.
/// </summary>
public sealed class RunningConfig(LoadedConfig initial)
{
    private LoadedConfig _current = initial;
    private RouterOptions? _effective;

    public LoadedConfig Current => Volatile.Read(ref _current);

    public RouterOptions Options => Current.Options;

    public void Set(LoadedConfig loaded) => Volatile.Write(ref _current, loaded);

    /// <summary>
    /// The firewalls and connectors the node runs: <see cref="Options"/> with each DNS pool expanded into its members
    /// (<c>FirewallPools</c>); the same as <see cref="Options"/> when no firewall is named by a host name.
    /// </summary>
    public RouterOptions Effective => Volatile.Read(ref _effective) ?? Options;

    public void SetEffective(RouterOptions effective) => Volatile.Write(ref _effective, effective);

    /// <summary>Start-up options without a file (tests, the demo): the hash of nothing, loaded now.</summary>
    public static RunningConfig Of(RouterOptions options) =>
        new(LoadedConfig.From(options, options.SourcePath, options.SourcePath is { } path && File.Exists(path) ? File.ReadAllText(path) : string.Empty,
            DateTimeOffset.UtcNow));
}
