namespace Router.Node.Cmd;

/// <summary>
/// One operator command turned into the admin API request that answers it, plus how to show the
/// answer (<see cref="View"/>). Built by <see cref="CommandParser"/>; no console or network needed.
/// </summary>
/// <param name="View">cluster, actors, firewalls, firewall, connectors, queue, result, route or tail.</param>
public sealed record ApiCall(string Method, string Path, string View)
{
    /// <summary>For a download (<c>queue export</c>): the file the answer's bytes go to, unchanged.</summary>
    public string? OutputFile { get; init; }

    /// <summary>The path with its query string, values escaped; null values left out.</summary>
    public static string WithQuery(string path, params (string Name, string? Value)[] query)
    {
        var parts = query.Where(q => q.Value is not null).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToArray();
        return parts.Length == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }

    /// <summary>One path segment, escaped (a route test address holds '@', ids may hold '.').</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
