using System.Buffers;
using Router.Actors.Spool;
using Xunit;

namespace Router.Tests.Spool;

/// <summary>The spool's index on its own: what a committed batch does to it, with no files and no writer.</summary>
public sealed class SpoolIndexTests
{
    // Fresh per test (xunit makes an instance per test): a segment's Live set is the index's state too.
    private readonly SpoolSegment _first = new(1, "/nonexistent/seg-0000000001.log");
    private readonly SpoolSegment _second = new(2, "/nonexistent/seg-0000000002.log");
    private readonly SpoolSegment _third = new(3, "/nonexistent/seg-0000000003.log");

    [Fact]
    public void An_applied_accept_is_queued_with_all_recipients_pending_and_its_body_counted()
    {
        var index = NewIndex(_first);
        var committed = new List<CommittedRecord> { Accepted("Q1", _first, offset: 0, bodyLength: 100, recipients: 3) };

        var left = index.Apply(committed);

        Assert.Null(left);
        Assert.True(index.Contains("Q1"));
        Assert.Equal([0, 1, 2], index.Find("Q1")!.PendingRecipients);
        Assert.Equal("Q1", committed[0].Message!.QueueId);
        var statistics = index.Statistics();
        Assert.Equal(1, statistics.MessagesQueued);
        Assert.Equal(100, statistics.BytesQueued);
        Assert.Equal(1, statistics.Segments);
    }

    [Fact]
    public void A_message_leaves_when_its_last_recipient_finishes()
    {
        var index = NewIndex(_first);
        index.Apply([Accepted("Q1", _first, offset: 0, bodyLength: 100, recipients: 2)]);

        var afterFirst = index.Apply([Finished("Q1", 0)]);
        var afterSecond = index.Apply([Finished("Q1", 1)]);

        Assert.Null(afterFirst);
        Assert.Equal(["Q1"], afterSecond);
        Assert.False(index.Contains("Q1"));
        Assert.Null(index.Find("Q1"));
        Assert.Empty(_first.Live);
        Assert.Equal(0, index.Statistics().BytesQueued);
    }

    [Fact]
    public void Pending_recipients_are_distinct_sorted_and_skip_finished_ones()
    {
        var index = NewIndex(_first);
        index.Apply([Accepted("Q1", _first, offset: 0, bodyLength: 10, recipients: 4), Finished("Q1", 1)]);

        Assert.Equal([0, 2, 3], index.PendingOf("Q1", [3, 1, 0, 3, 2])!);
        Assert.Null(index.PendingOf("unknown", [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.PendingOf("Q1", [4]));
    }

    [Fact]
    public void Only_the_oldest_segments_without_live_messages_are_removed_and_never_the_head()
    {
        var index = NewIndex(_first, _second, _third);
        index.Apply([Accepted("Q2", _second, offset: 0, bodyLength: 10, recipients: 1)]);

        Assert.Equal([_first], index.RemoveFinishedPrefix(head: _third)!);
        Assert.Null(index.RemoveFinishedPrefix(head: _third)); // _second still holds Q2; _third (empty) waits behind it.

        index.Apply([Finished("Q2", 0)]);

        Assert.Equal([_second], index.RemoveFinishedPrefix(head: _third)!);
        Assert.Equal(1, index.Statistics().Segments);
    }

    [Fact]
    public void The_oldest_segment_is_moved_only_when_enough_segments_are_newer_and_skips_unmovable_messages()
    {
        var index = NewIndex(_first, _second, _third);
        index.Apply([
            Accepted("Q1", _first, offset: 200, bodyLength: 10, recipients: 1),
            Accepted("Q2", _first, offset: 0, bodyLength: 10, recipients: 1),
            Accepted("Q3", _first, offset: 100, bodyLength: 10, recipients: 1),
        ]);

        Assert.Empty(index.OldestSegmentToMove(_third, maxNewerSegments: 2, maxBytes: long.MaxValue));

        var all = index.OldestSegmentToMove(_third, maxNewerSegments: 1, maxBytes: long.MaxValue);
        Assert.Equal(["Q2", "Q3", "Q1"], all.Select(e => e.QueueId));

        all[1].Unmovable = true;
        var capped = index.OldestSegmentToMove(_third, maxNewerSegments: 1, maxBytes: 1);
        Assert.Equal(["Q2"], capped.Select(e => e.QueueId));
        Assert.Equal(["Q2", "Q1"], index.OldestSegmentToMove(_third, maxNewerSegments: 1, maxBytes: long.MaxValue).Select(e => e.QueueId));
    }

    [Fact]
    public void A_relocation_moves_the_message_to_its_new_segment_and_is_counted()
    {
        var counters = new SpoolCounters();
        var index = new SpoolIndex(new SpoolRecoveryResult([_first, _second], new(StringComparer.Ordinal), 2), counters);
        index.Apply([Accepted("Q1", _first, offset: 0, bodyLength: 10, recipients: 1)]);
        var entry = Assert.Single(_first.Live);

        index.Apply([new CommittedRecord(null, entry, new SpoolLocation(_second, 500, 60, 550, 10))]);

        Assert.Empty(_first.Live);
        Assert.Same(entry, Assert.Single(_second.Live));
        Assert.Equal(500, entry.Location.RecordOffset);
        Assert.Equal(1, counters.Relocated);
        Assert.Equal(1, index.Statistics().MessagesRelocated);
    }

    private static SpoolIndex NewIndex(params SpoolSegment[] segments) => new SpoolIndex(new SpoolRecoveryResult([.. segments], new(StringComparer.Ordinal), segments.Max(s => s.Id)), new SpoolCounters());

    private static CommittedRecord Accepted(string queueId, SpoolSegment segment, long offset, long bodyLength, int recipients)
    {
        var accept = new AcceptRequest(queueId, SpoolTestData.Envelope(recipients), [], ReadOnlyMemory<byte>.Empty, ReadOnlySequence<byte>.Empty);
        return new CommittedRecord(accept, null, new SpoolLocation(segment, offset, 50 + bodyLength, offset + 50, bodyLength));
    }

    private static CommittedRecord Finished(string queueId, params int[] recipients) =>
        new(new FinishRequest(queueId, recipients, RecipientOutcome.Delivered), null, default);
}
