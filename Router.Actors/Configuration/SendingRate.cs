using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Router.Actors.Configuration;

/// <summary>
/// A sending limit such as <c>50/s</c>, <c>600/m</c> or <c>3600/h</c> (<c>max-message-rate</c>,
/// <c>max-connection-rate</c> of a firewall): how many per unit of time, enforced by a token bucket that holds one
/// second's worth (at least one).
/// </summary>
/// <param name="Count">How many per <paramref name="Per"/>.</param>
/// <param name="Per">The unit: one second, minute or hour.</param>
public sealed record SendingRate(double Count, TimeSpan Per)
{
    public double PerSecond => Count / Per.TotalSeconds;

    public override string ToString() =>
        // Three decimals at most: a node's part of a cluster budget (10/s among 3) need not print 3.3333333333333335/s.
        $"{Count.ToString("0.###", CultureInfo.InvariantCulture)}/{(Per == TimeSpan.FromHours(1) ? "h" : Per == TimeSpan.FromMinutes(1) ? "m" : "s")}";

    /// <summary>Parses <c>N/s</c>, <c>N/m</c> (or <c>/min</c>) or <c>N/h</c> with N greater than zero.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SendingRate? rate, [NotNullWhen(false)] out string? error)
    {
        rate = null;
        var parts = (text ?? string.Empty).Split('/', StringSplitOptions.TrimEntries);
        TimeSpan? per = parts.Length != 2 ? null : parts[1].ToLowerInvariant() switch
        {
            "s" or "sec" or "second" => TimeSpan.FromSeconds(1),
            "m" or "min" or "minute" => TimeSpan.FromMinutes(1),
            "h" or "hour" => TimeSpan.FromHours(1),
            _ => null,
        };
        if (per is null || !double.TryParse(parts[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var count))
        {
            error = $"expected a rate such as 50/s, 600/m or 3600/h, or unlimited, got \"{text}\"";
            return false;
        }
        if (count <= 0)
        {
            error = $"{count.ToString(CultureInfo.InvariantCulture)} must be greater than zero (unlimited for no limit)";
            return false;
        }
        rate = new SendingRate(count, per.Value);
        error = null;
        return true;
    }
}
