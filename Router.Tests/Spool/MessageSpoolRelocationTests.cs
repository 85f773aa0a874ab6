using Router.Actors.Spool;
using Router.Testing;
using Xunit;
using Xunit.Abstractions;
using static Router.Tests.Spool.SpoolTestData;

namespace Router.Tests.Spool;

public sealed class MessageSpoolRelocationTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public MessageSpoolRelocationTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_stuck_message_is_copied_forward_so_old_segments_can_go()
    {
        // SegmentSize 1: every group commit starts a new segment.
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1, MaxSegmentsBeforeRelocation = 2 };
        var stuckEnvelope = Envelope(recipients: 3);
        var stuckBody = Body(20_000, seed: 42);
        string stuck;
        await using (var spool = MessageSpool.Open(options))
        {
            stuck = (await spool.AcceptAsync(stuckEnvelope, Received, ChunkedSequence.Split(stuckBody, 5000, 3))).QueueId;
            await spool.FinishAsync(stuck, [0], RecipientOutcome.Delivered);

            var mostSegments = 0;
            for (var i = 0; i < 30; i++)
            {
                var passing = await AcceptAsync(spool, Body(1000, seed: i), recipients: 1);
                await spool.FinishAsync(passing.QueueId, [0], RecipientOutcome.Delivered);
                await spool.FlushAsync();
                mostSegments = Math.Max(mostSegments, _directory.SegmentFiles().Length);
            }

            var statistics = spool.Statistics;
            _output.WriteLine($"relocation: {statistics}, at most {mostSegments} segment files");
            Assert.True(statistics.MessagesRelocated >= 5, $"{statistics.MessagesRelocated} relocations");
            Assert.False(File.Exists(_directory.Segment(1)));
            Assert.InRange(mostSegments, 1, options.MaxSegmentsBeforeRelocation + 2);
            Assert.Equal(1, statistics.MessagesQueued);
            Assert.Equal(Stored(stuckBody), ReadBody(spool, stuck));
        }

        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal(stuck, recovered.QueueId);
            AssertSameEnvelope(stuckEnvelope, recovered.Envelope);
            Assert.Equal([1, 2], recovered.PendingRecipients);
            Assert.Equal(Stored(stuckBody), ReadBody(spool, stuck));

            await spool.FinishAsync(stuck, [1, 2], RecipientOutcome.Failed);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            Assert.Empty(spool.Recovered);
        }
    }

    [Fact]
    public async Task Recipients_finished_before_the_old_segment_went_stay_finished()
    {
        // The stuck message's own Finished record sits in a segment that is deleted after relocation; only the
        // Finished record written next to the relocated copy still says recipient 1 is done.
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1, MaxSegmentsBeforeRelocation = 1 };
        string stuck;
        await using (var spool = MessageSpool.Open(options))
        {
            stuck = (await AcceptAsync(spool, Body(100, seed: 1), recipients: 3)).QueueId;
            for (var i = 0; i < 6; i++)
            {
                var passing = await AcceptAsync(spool, Body(100, seed: i), recipients: 1);
                if (i == 2)
                {
                    await spool.FinishAsync(stuck, [1], RecipientOutcome.Cancelled);
                }

                await spool.FinishAsync(passing.QueueId, [0], RecipientOutcome.Delivered);
                await spool.FlushAsync();
            }

            Assert.True(spool.Statistics.MessagesRelocated >= 2);
            Assert.False(File.Exists(_directory.Segment(1)));
        }

        await using (var spool = MessageSpool.Open(options))
        {
            Assert.Equal([0, 2], Assert.Single(spool.Recovered).PendingRecipients);
        }
    }
}
