using Router.Actors.Configuration;
using Router.Actors.Health;
using Router.Actors.Routing;

namespace Router.Tests.Routing;

/// <summary>Issue 20: the pure pieces under firewall weights and sending limits.</summary>
public sealed class FirewallShareTests
{
    [Fact]
    public void Weighted_round_robin_gives_each_its_weights_share_evenly_interleaved()
    {
        var shares = new WeightedRoundRobin();
        var picks = Enumerable.Range(0, 8).Select(_ => shares.Next([("a", 3), ("b", 1)]) ?? "none").ToArray();

        Assert.Equal(["a", "a", "b", "a", "a", "a", "b", "a"], picks);
    }

    [Fact]
    public void Weighted_round_robin_skips_who_is_not_a_candidate_and_equal_weights_alternate()
    {
        var shares = new WeightedRoundRobin();

        Assert.Null(shares.Next([]));
        Assert.Equal("b", shares.Next([("b", 5)]));
        Assert.Equal(["a", "b", "a", "b"], Enumerable.Range(0, 4).Select(_ => shares.Next([("a", 1), ("b", 1)]) ?? "none"));
    }

    [Fact]
    public void The_token_bucket_holds_a_seconds_worth_and_refills_at_its_rate()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(new SendingRate(2, TimeSpan.FromSeconds(1)), clock);

        Assert.True(bucket.TryTake(out _));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(bucket.TryTake(out _));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(bucket.TryTake(out _));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out _));
    }

    [Fact]
    public void A_slow_rate_holds_one_token()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(new SendingRate(6, TimeSpan.FromMinutes(1)), clock);

        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromSeconds(10), wait);
    }

    [Fact]
    public void A_bucket_given_a_new_rate_keeps_what_it_earned_up_to_the_new_capacity_and_refills_at_the_new_rate()
    {
        // A node's part of a cluster budget changes: 6/s among 2 nodes (3/s), then among 3 (2/s), then 2 again.
        var clock = new ManualClock();
        var bucket = new TokenBucket(new SendingRate(3, TimeSpan.FromSeconds(1)), clock);

        bucket.SetRate(new SendingRate(2, TimeSpan.FromSeconds(1)));
        Assert.True(bucket.TryTake(out _));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);

        bucket.SetRate(new SendingRate(3, TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(i => bucket.TryTake(out var unused)));
    }

    [Theory]
    [InlineData("50/s", 50.0)]
    [InlineData("600/m", 10.0)]
    [InlineData("3600/h", 1.0)]
    [InlineData("0.5/s", 0.5)]
    [InlineData(" 120 / min ", 2.0)]
    public void Rates_are_read_per_second_minute_or_hour(string text, double perSecond)
    {
        Assert.True(SendingRate.TryParse(text, out var rate, out _));
        Assert.Equal(perSecond, rate.PerSecond, 6);
    }

    [Theory]
    [InlineData("50")]
    [InlineData("0/s")]
    [InlineData("-1/s")]
    [InlineData("5/d")]
    [InlineData("fast")]
    public void Malformed_rates_are_refused(string text) => Assert.False(SendingRate.TryParse(text, out _, out _));

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
