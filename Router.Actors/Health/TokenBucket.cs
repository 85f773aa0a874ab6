using Router.Actors.Configuration;

namespace Router.Actors.Health;

/// <summary>
/// A token bucket for a firewall's sending limits: <see cref="SendingRate.PerSecond"/> tokens a second, holding at
/// most one second's worth (at least one), full at start. Thread-safe: the delivery workers of one firewall share
/// the connection bucket. Time is the caller's (<see cref="TimeProvider"/>).
/// </summary>
public sealed class TokenBucket
{
    private readonly object _gate = new();
    private double _perSecond;
    private double _capacity;
    private readonly TimeProvider _clock;
    private double _tokens;
    private DateTimeOffset _refilled;

    public TokenBucket(SendingRate rate, TimeProvider clock)
    {
        _perSecond = rate.PerSecond;
        _capacity = Math.Max(1, _perSecond);
        _clock = clock;
        _tokens = _capacity;
        _refilled = clock.GetUtcNow();
    }

    /// <summary>
    /// A new rate from now on (this node's part of a cluster budget changed): the tokens earned so far at the old rate
    /// are kept, up to the new capacity.
    /// </summary>
    public void SetRate(SendingRate rate)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            _tokens = Math.Min(_capacity, _tokens + (now - _refilled).TotalSeconds * _perSecond);
            _refilled = now;
            _perSecond = rate.PerSecond;
            _capacity = Math.Max(1, _perSecond);
            _tokens = Math.Min(_tokens, _capacity);
        }
    }

    /// <summary>Takes a token if there is one; otherwise <paramref name="wait"/> says how long until there is.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            _tokens = Math.Min(_capacity, _tokens + (now - _refilled).TotalSeconds * _perSecond);
            _refilled = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }
            // At least a millisecond, so that a caller's timer never spins.
            wait = TimeSpan.FromSeconds(Math.Max(0.001, (1 - _tokens) / _perSecond));
            return false;
        }
    }

    /// <summary>Waits until a token can be taken, and takes it.</summary>
    public async Task TakeAsync(CancellationToken cancellationToken)
    {
        while (!TryTake(out var wait))
            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
    }
}
