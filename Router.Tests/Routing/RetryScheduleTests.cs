using Router.Actors.Delivery;
using Router.Actors.Routing;
using Router.Messages.Delivery;

namespace Router.Tests.Routing;

public sealed class RetryScheduleTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);

    private static readonly RetryPolicy Policy = new([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)], TimeSpan.FromHours(4), DelayNoticeAfter: TimeSpan.FromHours(1));

    private static readonly DeliveryJob Deferred = new("Q1", "a@example.org", [1, 3], ["x@example.com", "y@example.com"], 100, "*;1", Attempts: 1)
    {
        ReceivedAt = Received,
        Deferrals = 1,
    };

    [Fact]
    public void A_deferred_part_is_due_after_the_wait_its_deferral_count_gives_it()
    {
        var now = Received + TimeSpan.FromMinutes(2);

        var first = RetrySchedule.Decide(Deferred, "out", "fw-a", "451 later", Policy, now);
        var third = RetrySchedule.Decide(Deferred with { Deferrals = 3 }, "out", "fw-a", "451 later", Policy, now);

        Assert.Equal(now + TimeSpan.FromMinutes(1), first.Due);
        Assert.Equal(now + TimeSpan.FromMinutes(5), third.Due);
        Assert.Null(first.Expired);
        Assert.Null(first.DelayNotice);
        Assert.Same(Deferred, first.Job);
    }

    [Fact]
    public void At_expiry_its_recipients_go_back_to_the_sender_with_4_4_7_and_the_last_reply()
    {
        var decision = RetrySchedule.Decide(Deferred, "out", "fw-a", "451 4.7.1 later", Policy, Received + TimeSpan.FromHours(4));

        Assert.Null(decision.Due);
        var expired = decision.Expired!;
        Assert.Equal("Q1", expired.QueueId);
        Assert.Equal([1, 3], expired.Recipients.Select(r => r.RecipientIndex));
        Assert.All(expired.Recipients, r => Assert.Equal(("4.4.7", "delivery time expired; last reply: 451 4.7.1 later", "fw-a", "out"),
            (r.Status, r.Diagnostic, r.RemoteMta, r.Connector)));
    }

    [Fact]
    public void Past_delay_notice_after_the_sender_is_told_once()
    {
        var now = Received + TimeSpan.FromHours(1);

        var decision = RetrySchedule.Decide(Deferred, "out", "fw-a", "451 later", Policy, now);
        var again = RetrySchedule.Decide(decision.Job with { Deferrals = 2 }, "out", "fw-a", "451 later", Policy, now + TimeSpan.FromMinutes(5));

        var notice = decision.DelayNotice!;
        Assert.True(decision.Job.DelayNoticeSent);
        Assert.Equal(Received + TimeSpan.FromHours(4), notice.WillRetryUntil);
        Assert.All(notice.Recipients, r => Assert.Equal(("4.4.7", "still trying; last reply: 451 later", "fw-a"), (r.Status, r.Diagnostic, r.RemoteMta)));
        Assert.Null(again.DelayNotice);
    }

    [Fact]
    public void Without_delay_notice_after_no_sender_is_told()
    {
        var decision = RetrySchedule.Decide(Deferred, "out", "fw-a", "451 later", Policy with { DelayNoticeAfter = null }, Received + TimeSpan.FromHours(3));

        Assert.Null(decision.DelayNotice);
        Assert.False(decision.Job.DelayNoticeSent);
    }

    [Fact]
    public void Parked_parts_past_their_expiry_go_back_to_the_sender_and_the_others_keep_waiting()
    {
        var old = Deferred with { QueueId = "OLD" };
        var young = Deferred with { QueueId = "YOUNG", ReceivedAt = Received + TimeSpan.FromHours(1) };

        var expired = RetrySchedule.ExpiredParked([old, young], Policy, Received + TimeSpan.FromHours(4.5));

        var (job, failure) = Assert.Single(expired);
        Assert.Same(old, job);
        Assert.All(failure.Recipients, r => Assert.Equal(("4.4.7", "delivery time expired: no path to any firewall was up"), (r.Status, r.Diagnostic)));
    }
}
