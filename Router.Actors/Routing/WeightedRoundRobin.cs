namespace Router.Actors.Routing;

/// <summary>
/// Smooth weighted round robin (nginx's): among the candidates that can take a job now, each gains its weight, the
/// one with the most goes and gives back the sum of the candidates' weights. Over time each firewall of a
/// connector gets its <c>weight</c>'s share of the jobs, evenly interleaved (3:1 gives a, a, b, a, a, a, b, a, ...),
/// not in bursts. Pure and deterministic; the connector actor owns one.
/// </summary>
public sealed class WeightedRoundRobin
{
    private readonly Dictionary<string, long> _current = new(StringComparer.Ordinal);

    /// <summary>The candidate to use next, or null when there is none.</summary>
    public string? Next(IReadOnlyList<(string Id, int Weight)> candidates)
    {
        if (candidates.Count == 0)
            return null;
        if (candidates.Count == 1)
            return candidates[0].Id;
        string? best = null;
        long bestCurrent = long.MinValue;
        long total = 0;
        foreach (var (id, weight) in candidates)
        {
            var current = _current.GetValueOrDefault(id) + weight;
            _current[id] = current;
            total += weight;
            if (current > bestCurrent)
            {
                best = id;
                bestCurrent = current;
            }
        }
        _current[best!] = bestCurrent - total;
        return best;
    }
}
