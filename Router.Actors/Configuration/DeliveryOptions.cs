using Router.Actors.Delivery;

namespace Router.Actors.Configuration;

/// <summary><c>router.delivery</c>: what happens to mail that could not be delivered yet.</summary>
public sealed record DeliveryOptions
{
    /// <summary><c>router.retry</c>: the retry schedule and expiry of deferred mail.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>
    /// <c>poison-after</c>: a message whose attempts failed with a firewall-level fault (dropped
    /// connection, timeout) this many times in a row, on any firewalls, is the common factor: it is
    /// set aside to wait for its retry on its own and its later failures no longer count against
    /// firewall health. Default 3.
    /// </summary>
    public int PoisonAfter { get; init; } = 3;
}
