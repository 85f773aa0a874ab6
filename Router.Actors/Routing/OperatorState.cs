using System.Text.Json;

namespace Router.Actors.Routing;

/// <summary>
/// What operators decided that must outlive a restart (suspended connectors, redirects, holds), in a small JSON file
/// beside the spool, replaced atomically (write, fsync, rename).
/// </summary>
public sealed record OperatorState(IReadOnlyList<string> SuspendedConnectors)
{
    /// <summary>Standing redirects: firewall id → connector id.</summary>
    public IReadOnlyDictionary<string, string> Redirects { get; init; } = new Dictionary<string, string>();

    /// <summary>Queue ids of held messages.</summary>
    public IReadOnlyList<string> HeldMessages { get; init; } = [];

    /// <summary>Ids of held connectors.</summary>
    public IReadOnlyList<string> HeldConnectors { get; init; } = [];

    /// <summary>All outbound mail paused.</summary>
    public bool OutboundPaused { get; init; }

    public static OperatorState Load(string? path)
    {
        if (path is null || !File.Exists(path))
            return new OperatorState([]);
        return JsonSerializer.Deserialize<OperatorState>(File.ReadAllText(path)) ?? new OperatorState([]);
    }

    public static void Save(string? path, OperatorState state)
    {
        if (path is null)
            return;
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, state);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
