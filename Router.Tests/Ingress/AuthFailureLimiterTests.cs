using System.Net;
using Router.Actors.Ingress.Auth;

namespace Router.Tests.Ingress;

public sealed class AuthFailureLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.8");

    [Fact]
    public void A_client_is_blocked_at_max_failures_within_the_window_and_free_again_after_it()
    {
        var clock = new ManualClock();
        var limiter = new AuthFailureLimiter(3, TimeSpan.FromMinutes(10), clock);

        Assert.False(limiter.RecordFailure(Client));
        Assert.False(limiter.RecordFailure(Client));
        Assert.False(limiter.IsBlocked(Client));
        Assert.True(limiter.RecordFailure(Client));
        Assert.True(limiter.IsBlocked(Client));
        Assert.False(limiter.IsBlocked(Other));

        clock.Now += TimeSpan.FromMinutes(9);
        Assert.True(limiter.IsBlocked(Client));
        clock.Now += TimeSpan.FromMinutes(1);
        Assert.False(limiter.IsBlocked(Client));
        // A new window starts with the next failure.
        Assert.False(limiter.RecordFailure(Client));
    }

    [Fact]
    public void Failures_spread_over_more_than_a_window_do_not_add_up()
    {
        var clock = new ManualClock();
        var limiter = new AuthFailureLimiter(2, TimeSpan.FromMinutes(1), clock);

        limiter.RecordFailure(Client);
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.False(limiter.RecordFailure(Client));
        Assert.False(limiter.IsBlocked(Client));
    }

    [Fact]
    public void Unknown_client_addresses_are_never_blocked()
    {
        var limiter = new AuthFailureLimiter(1, TimeSpan.FromMinutes(1), TimeProvider.System);

        Assert.False(limiter.RecordFailure(null));
        Assert.False(limiter.IsBlocked(null));
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
