namespace Router.Actors.Delivery;

/// <summary>
/// When deferred mail is tried again and when it is given up. Pure: the caller brings the clock.
/// </summary>
/// <param name="Schedule">Wait before the n-th retry; the last entry repeats. Exchange-like
/// default: four quick retries a minute apart, then every 5 minutes three times, then every 15.</param>
/// <param name="ExpireAfter">Mail still undelivered this long after it was accepted is returned to
/// its sender (status 4.4.7). Default 2 days.</param>
/// <param name="DelayNoticeAfter">After this long, senders who asked for delay notices get one;
/// null (the default) sends none.</param>
public sealed record RetryPolicy(IReadOnlyList<TimeSpan> Schedule, TimeSpan ExpireAfter, TimeSpan? DelayNoticeAfter)
{
    public static RetryPolicy Default { get; } = new(
        [
            TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
            TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5),
            TimeSpan.FromMinutes(15),
        ],
        TimeSpan.FromDays(2),
        DelayNoticeAfter: null);

    // Compared by value, schedule included, so two configurations that say the same are equal.
    public bool Equals(RetryPolicy? other) =>
        other is not null && Schedule.SequenceEqual(other.Schedule) && ExpireAfter == other.ExpireAfter && DelayNoticeAfter == other.DelayNoticeAfter;

    public override int GetHashCode() => HashCode.Combine(Schedule.Count, ExpireAfter, DelayNoticeAfter);

    /// <summary>Wait before the retry that follows the <paramref name="deferrals"/>-th deferral (1 = the first).</summary>
    public TimeSpan DelayAfter(int deferrals) => Schedule[Math.Clamp(deferrals - 1, 0, Schedule.Count - 1)];

    /// <summary>True once mail accepted at <paramref name="receivedAt"/> must be given up.</summary>
    public bool Expired(DateTimeOffset receivedAt, DateTimeOffset now) => now - receivedAt >= ExpireAfter;

    /// <summary>
    /// When to try again after a deferral, or null when the mail expires first: a retry never
    /// lands past the expiry, the last one is moved to the expiry instant instead.
    /// </summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset receivedAt, int deferrals, DateTimeOffset now)
    {
        if (Expired(receivedAt, now))
            return null;
        var next = now + DelayAfter(deferrals);
        var expiry = receivedAt + ExpireAfter;
        return next < expiry ? next : expiry;
    }
}
