using Router.Actors.Routing;
using Router.Messages.Delivery;

namespace Router.Tests.Routing;

public sealed class PlacementsTests
{
    private static readonly DateTimeOffset Due = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);

    private readonly Placements _placements = new();

    private static DeliveryJob Job(string queueId, string sender = "a@example.org", params int[] indexes) =>
        new(queueId, sender, indexes.Length == 0 ? [0] : indexes, indexes.Length == 0 ? ["x@example.com"] : indexes.Select(i => $"r{i}@example.com").ToArray(), 100, "*;1", 0);

    [Fact]
    public void A_part_is_in_one_state_at_a_time_and_the_last_placement_wins()
    {
        var job = Job("Q1");
        _placements.Parked(job);
        _placements.Queued(job, "out");

        var placement = _placements.Find(job)!;
        Assert.Equal((PlacementState.Queued, "out"), (placement.State, placement.Connector));
        Assert.Equal(0, _placements.ParkedCount);
        Assert.Equal(1, _placements.Count);
    }

    [Fact]
    public void Parts_of_one_message_with_different_recipients_are_different_parts()
    {
        _placements.Queued(Job("Q1", indexes: [0]), "out");
        _placements.Deferred(Job("Q1", indexes: [1, 2]), Due);

        Assert.Equal(2, _placements.OfMessage("Q1").Count);
        Assert.Equal(Due, Assert.Single(_placements.InState(PlacementState.Deferred)).NextAttempt);
    }

    [Fact]
    public void Parked_parts_are_taken_oldest_first_per_message_or_all()
    {
        _placements.Parked(Job("Q2"));
        _placements.Parked(Job("Q1"));
        _placements.Parked(Job("Q3"));

        var one = _placements.TakeParked("Q1");
        var rest = _placements.TakeParked();

        Assert.Equal(["Q1"], one.Select(j => j.QueueId));
        Assert.Equal(["Q2", "Q3"], rest.Select(j => j.QueueId));
        Assert.Equal(0, _placements.Count);
    }

    [Fact]
    public void Removing_a_parked_part_takes_it_out_of_the_parked_order_too()
    {
        var job = Job("Q1");
        _placements.Parked(job);

        _placements.Remove(job);

        Assert.Equal((0, 0), (_placements.ParkedCount, _placements.Count));
    }

    [Fact]
    public void The_listing_filters_by_connector_connectors_state_and_sender_and_sorts_by_queue_id()
    {
        _placements.Queued(Job("Q3"), "out-a");
        _placements.Queued(Job("Q2", "B@example.org"), "out-b");
        _placements.Deferred(Job("Q1"), Due);
        _placements.Parked(Job("Q4"));

        Assert.Equal(["Q1", "Q2", "Q3", "Q4"], _placements.List(null, null, null, null).Select(p => p.Job.QueueId));
        Assert.Equal(["Q3"], _placements.List("out-a", null, null, null).Select(p => p.Job.QueueId));
        Assert.Equal(["Q2"], _placements.List(null, ["out-b", "out-c"], null, null).Select(p => p.Job.QueueId));
        Assert.Equal(["Q4"], _placements.List(null, null, PlacementState.Parked, null).Select(p => p.Job.QueueId));
        Assert.Equal(["Q2"], _placements.List(null, null, null, "b@example.org").Select(p => p.Job.QueueId));
    }

    [Theory]
    [InlineData(PlacementState.Queued, "queued")]
    [InlineData(PlacementState.Deferred, "deferred")]
    [InlineData(PlacementState.Parked, "parked")]
    [InlineData(PlacementState.HandingOver, "handing-over")]
    public void Each_state_has_the_name_operators_know_and_reads_back_from_it(PlacementState state, string name)
    {
        Assert.Equal(name, state.Name());
        Assert.True(PlacementStateNames.TryParse(name.ToUpperInvariant(), out var parsed));
        Assert.Equal(state, parsed);
    }

    [Fact]
    public void An_unknown_state_name_does_not_read()
    {
        Assert.False(PlacementStateNames.TryParse("stuck", out _));
        Assert.False(PlacementStateNames.TryParse(null, out _));
    }
}
