using Router.Actors.Spool;
using static Router.Tests.Spool.SpoolTestData;

namespace Router.Tests.Spool;

/// <summary>Issue 4: the retry position lives in the spool and survives restarts and relocation.</summary>
public sealed class MessageSpoolRetryStateTests : IDisposable
{
    private static readonly DateTimeOffset Next = new(2026, 11, 28, 18, 30, 0, TimeSpan.Zero);

    private readonly SpoolTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_deferred_message_comes_back_with_its_position_in_the_schedule()
    {
        var options = new SpoolOptions(_directory.Path);
        string id;
        await using (var spool = MessageSpool.Open(options))
        {
            id = (await AcceptAsync(spool, Body(500, seed: 1), recipients: 2)).QueueId;
            await spool.DeferAsync(id, 1, Next - TimeSpan.FromMinutes(1));
            await spool.DeferAsync(id, 2, Next);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal(2, recovered.Deferrals);
            Assert.Equal(Next, recovered.NextAttempt);
        }
    }

    [Fact]
    public async Task A_message_never_deferred_has_no_retry_position()
    {
        var options = new SpoolOptions(_directory.Path);
        await using (var spool = MessageSpool.Open(options))
            await AcceptAsync(spool, Body(500, seed: 1), recipients: 1);
        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal(0, recovered.Deferrals);
            Assert.Null(recovered.NextAttempt);
        }
    }

    [Fact]
    public async Task The_retry_position_travels_with_a_relocated_message()
    {
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1, MaxSegmentsBeforeRelocation = 1 };
        string stuck;
        await using (var spool = MessageSpool.Open(options))
        {
            stuck = (await AcceptAsync(spool, Body(100, seed: 1), recipients: 1)).QueueId;
            await spool.DeferAsync(stuck, 3, Next);
            for (var i = 0; i < 8; i++)
            {
                var passing = await AcceptAsync(spool, Body(100, seed: i), recipients: 1);
                await spool.FinishAsync(passing.QueueId, [0], RecipientOutcome.Delivered);
                await spool.FlushAsync();
            }
            Assert.True(spool.Statistics.MessagesRelocated >= 1, "the stuck message was never relocated");
            Assert.False(File.Exists(_directory.Segment(1)));
        }

        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal(stuck, recovered.QueueId);
            Assert.Equal(3, recovered.Deferrals);
            Assert.Equal(Next, recovered.NextAttempt);
        }
    }
}
