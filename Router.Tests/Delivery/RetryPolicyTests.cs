using Router.Actors.Delivery;

namespace Router.Tests.Delivery;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Default_schedule_is_four_quick_retries_then_every_five_then_every_fifteen_minutes()
    {
        var policy = RetryPolicy.Default;
        var waits = Enumerable.Range(1, 10).Select(n => policy.DelayAfter(n).TotalMinutes).ToArray();
        Assert.Equal([1, 1, 1, 1, 5, 5, 5, 15, 15, 15], waits);
    }

    [Fact]
    public void Next_attempt_follows_the_schedule_from_now()
    {
        var now = Received + TimeSpan.FromMinutes(10);
        Assert.Equal(now + TimeSpan.FromMinutes(1), RetryPolicy.Default.NextAttempt(Received, 1, now));
        Assert.Equal(now + TimeSpan.FromMinutes(5), RetryPolicy.Default.NextAttempt(Received, 5, now));
        Assert.Equal(now + TimeSpan.FromMinutes(15), RetryPolicy.Default.NextAttempt(Received, 50, now));
    }

    [Fact]
    public void Mail_expires_expire_after_its_arrival_and_the_last_retry_is_moved_to_the_expiry()
    {
        var policy = RetryPolicy.Default;
        var almost = Received + TimeSpan.FromDays(2) - TimeSpan.FromMinutes(3);
        Assert.Equal(Received + TimeSpan.FromDays(2), policy.NextAttempt(Received, 20, almost));
        Assert.False(policy.Expired(Received, almost));
        Assert.True(policy.Expired(Received, Received + TimeSpan.FromDays(2)));
        Assert.Null(policy.NextAttempt(Received, 20, Received + TimeSpan.FromDays(2)));
    }
}
