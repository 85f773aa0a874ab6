using Router.Actors.Delivery;
using Router.Messages.Delivery;

namespace Router.Actors.Routing;

/// <summary>What happens to a deferred part: tried again at <see cref="Due"/>, or given up (expired).</summary>
/// <param name="Due">When it is tried again; null when it has expired.</param>
/// <param name="Job">The part as it waits (<see cref="DeliveryJob.DelayNoticeSent"/> set when this deferral sends the notice).</param>
/// <param name="Expired">At expiry: its recipients, back to the sender (4.4.7).</param>
/// <param name="DelayNotice">The sender is told once that delivery is delayed (if it asked).</param>
public sealed record RetryDecision(DateTimeOffset? Due, DeliveryJob Job, RecipientsFailed? Expired, RecipientsDelayed? DelayNotice);

/// <summary>
/// The retry clock for parts that wait: when a deferred part is due again, when it expires, when its
/// sender hears of the delay, and which parked parts waited until their expiry. The routing actor
/// owns the waiting parts and their timers, so it is the one that asks. Pure.
/// </summary>
public static class RetrySchedule
{
    /// <param name="deferred">The part after its deferral (<see cref="DeliveryJob.Deferrals"/> already counts it).</param>
    /// <param name="connector">The connector whose firewall deferred it.</param>
    /// <param name="firewall">That firewall, named in the sender's notices.</param>
    /// <param name="lastReply">The firewall's reply (or the local error), quoted in the notices.</param>
    public static RetryDecision Decide(DeliveryJob deferred, string connector, string? firewall, string lastReply, RetryPolicy policy, DateTimeOffset now)
    {
        if (policy.NextAttempt(deferred.ReceivedAt, deferred.Deferrals, now) is not { } due)
            return new RetryDecision(null, deferred, new RecipientsFailed(deferred.QueueId, deferred.RecipientIndexes
                .Select(i => new FailedRecipient(i, "4.4.7", $"delivery time expired; last reply: {lastReply}", firewall) { Connector = connector })
                .ToArray()), null);
        if (policy.DelayNoticeAfter is not { } after || deferred.DelayNoticeSent || now - deferred.ReceivedAt < after)
            return new RetryDecision(due, deferred, null, null);
        var notice = new RecipientsDelayed(deferred.QueueId,
            deferred.RecipientIndexes.Select(i => new FailedRecipient(i, "4.4.7", $"still trying; last reply: {lastReply}", firewall)).ToArray(),
            deferred.ReceivedAt + policy.ExpireAfter);
        return new RetryDecision(due, deferred with { DelayNoticeSent = true }, null, notice);
    }

    /// <summary>Parked parts that waited for a path until their expiry, and the failure each sends back to its sender (4.4.7).</summary>
    public static IReadOnlyList<(DeliveryJob Job, RecipientsFailed Failure)> ExpiredParked(IEnumerable<DeliveryJob> parked, RetryPolicy policy, DateTimeOffset now) =>
        parked.Where(j => policy.Expired(j.ReceivedAt, now))
            .Select(j => (j, new RecipientsFailed(j.QueueId,
                j.RecipientIndexes.Select(i => new FailedRecipient(i, "4.4.7", "delivery time expired: no path to any firewall was up", null)).ToArray())))
            .ToArray();
}
