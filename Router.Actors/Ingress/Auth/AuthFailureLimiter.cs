using System.Collections.Concurrent;
using System.Net;

namespace Router.Actors.Ingress.Auth;

/// <summary>
/// Counts failed AUTH attempts per client address in a fixed window (<c>smtp.auth.failure-window</c>,
/// starting at the first failure). A client with <c>max-failures-per-client</c> failures in its
/// window is refused further AUTH until the window ends, whatever session it opens: this caps
/// password guessing per address, which the per-session limit alone does not.
/// </summary>
public sealed class AuthFailureLimiter(int maxFailures, TimeSpan window, TimeProvider clock)
{
    // Past this many tracked addresses, expired windows are swept on the next failure.
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Window> _clients = new();

    /// <summary>Whether <paramref name="client"/> has used up its failures for now.</summary>
    public bool IsBlocked(IPAddress? client) =>
        client is not null && _clients.TryGetValue(client, out var entry) && entry.Count >= maxFailures && !Expired(entry);

    /// <summary>Counts one failure; returns whether the client is now blocked.</summary>
    public bool RecordFailure(IPAddress? client)
    {
        if (client is null)
            return false;
        if (_clients.Count > SweepAbove)
            Sweep();
        var entry = _clients.AddOrUpdate(client,
            _ => new Window(clock.GetUtcNow(), 1),
            (_, current) => Expired(current) ? new Window(clock.GetUtcNow(), 1) : current with { Count = current.Count + 1 });
        return entry.Count >= maxFailures;
    }

    private bool Expired(Window entry) => clock.GetUtcNow() - entry.Start >= window;

    private void Sweep()
    {
        foreach (var (address, entry) in _clients)
        {
            if (Expired(entry))
                _clients.TryRemove(new KeyValuePair<IPAddress, Window>(address, entry));
        }
    }

    private sealed record Window(DateTimeOffset Start, int Count);
}
