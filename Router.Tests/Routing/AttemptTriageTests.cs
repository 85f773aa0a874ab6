using Router.Actors.Routing;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

public sealed class AttemptTriageTests
{
    private static readonly AttemptPolicy Policy = new(PoisonAfter: 3);

    private static readonly DeliveryJob Job = new("Q1", "a@example.org", [0, 2, 5], ["x@example.com", "y@example.com", "z@example.com"], 100, "*;1", Attempts: 1)
    {
        Deferrals = 2,
        AvoidFirewall = "fw-old",
    };

    private static DeliveryResult Completed(params (int Index, int Code, string Reply)[] recipients) =>
        new(AttemptOutcome.Completed, recipients.Select(r => new RecipientResult(r.Index, r.Code, r.Reply)).ToArray(), "done", DataSent: true);

    [Fact]
    public void Recipients_are_sorted_into_delivered_failed_with_their_status_and_deferred()
    {
        var verdict = AttemptTriage.Decide(Job, "out", "fw-a",
            Completed((0, 250, "250 ok"), (2, 550, "550 5.1.1 no such user"), (5, 451, "451 4.7.1 later")), Policy);

        Assert.Equal([0], verdict.Delivered);
        var failed = Assert.Single(verdict.Failed);
        Assert.Equal((2, "5.1.1", "550 5.1.1 no such user", "fw-a", "out"), (failed.RecipientIndex, failed.Status, failed.Diagnostic, failed.RemoteMta, failed.Connector));
        Assert.Equal(JobRelease.Deferred, verdict.Release);
        Assert.Equal(1, verdict.RecipientDeferrals);
    }

    [Fact]
    public void The_deferred_part_keeps_only_its_deferred_recipients_counts_the_attempt_and_the_deferral_and_avoids_this_connector()
    {
        var verdict = AttemptTriage.Decide(Job with { FirewallFaults = 2 }, "out", "fw-a",
            Completed((0, 451, "451 later"), (2, 250, "250 ok"), (5, 452, "452 full")), Policy);

        var next = verdict.Next!;
        Assert.Equal([0, 5], next.RecipientIndexes);
        Assert.Equal(["x@example.com", "z@example.com"], next.Recipients);
        Assert.Equal((2, 3, "out", 0), (next.Attempts, next.Deferrals, next.AvoidConnector, next.FirewallFaults));
    }

    [Fact]
    public void A_part_with_nothing_left_to_deliver_is_finished()
    {
        var verdict = AttemptTriage.Decide(Job, "out", "fw-a", Completed((0, 250, "ok"), (2, 250, "ok"), (5, 554, "554 no")), Policy);

        Assert.Equal((JobRelease.Finished, (DeliveryJob?)null, 0), (verdict.Release, verdict.Next, verdict.RecipientDeferrals));
        Assert.Equal([0, 2], verdict.Delivered);
    }

    [Fact]
    public void A_firewall_fault_places_the_part_elsewhere_at_once_avoiding_that_connector_and_firewall()
    {
        var result = DeliveryResult.ForAll(Job, AttemptOutcome.ConnectionLost, 0, "connection reset", dataSent: false);

        var verdict = AttemptTriage.Decide(Job, "out", "fw-a", result, Policy);

        Assert.Equal(JobRelease.PlaceElsewhere, verdict.Release);
        var next = verdict.Next!;
        Assert.Same(Job.RecipientIndexes, next.RecipientIndexes);
        Assert.Equal((2, 1, "out", "fw-a", 2), (next.Attempts, next.FirewallFaults, next.AvoidConnector, next.AvoidFirewall, next.Deferrals));
        Assert.False(verdict.DuplicatePossible);
        Assert.Empty(verdict.Delivered);
    }

    [Fact]
    public void A_firewall_fault_after_the_data_was_sent_may_duplicate()
    {
        var result = DeliveryResult.ForAll(Job, AttemptOutcome.CommandTimeout, 0, "no reply to the final dot", dataSent: true);

        Assert.True(AttemptTriage.Decide(Job, "out", "fw-a", result, Policy).DuplicatePossible);
    }

    [Fact]
    public void An_abandoned_attempt_is_placed_elsewhere_without_counting_as_a_firewall_fault()
    {
        var result = DeliveryResult.ForAll(Job, AttemptOutcome.Aborted, 0, "firewall tripped");

        var verdict = AttemptTriage.Decide(Job with { FirewallFaults = 2 }, "out", "fw-a", result, Policy);

        Assert.Equal((JobRelease.PlaceElsewhere, 2), (verdict.Release, verdict.Next!.FirewallFaults));
    }

    [Fact]
    public void The_fault_that_reaches_poison_after_sets_the_part_aside_to_wait_for_its_retry()
    {
        var result = DeliveryResult.ForAll(Job, AttemptOutcome.ConnectionLost, 0, "connection reset");

        var verdict = AttemptTriage.Decide(Job with { FirewallFaults = 2 }, "out", "fw-a", result, Policy);

        Assert.True(verdict.SetAside);
        Assert.Equal(JobRelease.Deferred, verdict.Release);
        Assert.Equal((3, 3, "fw-old"), (verdict.Next!.FirewallFaults, verdict.Next.Deferrals, verdict.Next.AvoidFirewall));
        Assert.Equal(0, verdict.RecipientDeferrals);
    }

    [Fact]
    public void Results_for_recipients_the_part_does_not_carry_are_ignored()
    {
        var verdict = AttemptTriage.Decide(Job, "out", "fw-a", Completed((0, 250, "ok"), (2, 250, "ok"), (5, 250, "ok"), (9, 550, "550 no")), Policy);

        Assert.Equal([0, 2, 5], verdict.Delivered);
        Assert.Empty(verdict.Failed);
    }

    [Theory]
    [InlineData("550 5.1.1 <x@example.com>: no such user", 550, "5.1.1")]
    [InlineData("552 5.3.4 message too big", 552, "5.3.4")]
    [InlineData("550 mailbox unavailable", 550, "5.0.0")]
    [InlineData("no reply", 0, "4.0.0")]
    [InlineData("450 4.2.0 greylisted", 450, "4.2.0")]
    public void The_status_is_the_replys_enhanced_code_or_the_generic_one_for_its_class(string reply, int code, string status) =>
        Assert.Equal(status, AttemptTriage.StatusOf(reply, code));
}
