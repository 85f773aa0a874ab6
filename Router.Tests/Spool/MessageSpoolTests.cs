using System.Buffers;
using System.Diagnostics;
using Router.Actors.Observability;
using Router.Actors.Spool;
using Router.Testing;
using Xunit;
using Xunit.Abstractions;
using static Router.Tests.Spool.SpoolTestData;

namespace Router.Tests.Spool;

public sealed class MessageSpoolTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public MessageSpoolTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Accepted_message_is_recovered_with_identical_envelope_and_body()
    {
        var envelope = Envelope(recipients: 3);
        var body = Body(100_000, seed: 1);
        string queueId;
        await using (var spool = MessageSpool.Open(new SpoolOptions(_directory.Path)))
        {
            Assert.Empty(spool.Recovered);
            var accepted = await spool.AcceptAsync(envelope, Received, new ReadOnlySequence<byte>(body));
            queueId = accepted.QueueId;

            Assert.Equal(Received.Length + body.Length, accepted.Length);
            Assert.Equal([0, 1, 2], accepted.PendingRecipients);
            Assert.True(spool.Contains(queueId));
            Assert.Equal(Stored(body), ReadBody(spool, queueId));
        }

        await using (var reopened = MessageSpool.Open(new SpoolOptions(_directory.Path)))
        {
            var recovered = Assert.Single(reopened.Recovered);
            Assert.Equal(queueId, recovered.QueueId);
            AssertSameEnvelope(envelope, recovered.Envelope);
            Assert.Equal(Received.Length + body.Length, recovered.Length);
            Assert.Equal([0, 1, 2], recovered.PendingRecipients);
            Assert.True(reopened.Contains(queueId));
            Assert.Equal(Stored(body), ReadBody(reopened, queueId));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AcceptAll_stores_every_good_message_in_one_fsync_and_faults_only_the_bad_one(bool onCallerThread)
    {
        var metrics = new RouterMetrics();
        var bodies = Enumerable.Range(0, 5).Select(i => Body(1000 + i, seed: 40 + i)).ToArray();
        await using (var spool = MessageSpool.Open(new SpoolOptions(_directory.Path), metrics: metrics))
        {
            var messages = bodies.Select((body, i) => ($"OWNER{i}", Envelope(recipients: i == 2 ? 0 : 2), new ReadOnlySequence<byte>(body))).ToArray();

            var tasks = spool.AcceptAll(messages, onCallerThread);

            // On the caller's thread, the caller wrote and fsync'd them itself: all done when it returns.
            if (onCallerThread)
                Assert.All(tasks, t => Assert.True(t.IsCompleted));
            await Assert.ThrowsAsync<ArgumentException>(() => tasks[2]);
            foreach (var i in new[] { 0, 1, 3, 4 })
            {
                var stored = await tasks[i];
                Assert.Equal($"OWNER{i}", stored.QueueId);
                Assert.Equal(bodies[i], ReadBody(spool, stored.QueueId));
            }

            Assert.False(spool.Contains("OWNER2"));
            var text = PrometheusText.Parse(await metrics.ExportTextAsync());
            Assert.Equal(1, text.Value("router_spool_fsync_batch_records_count"));
            Assert.Equal(4, text.Value("router_spool_fsync_batch_records_sum"));
        }

        await using var reopened = MessageSpool.Open(new SpoolOptions(_directory.Path));
        Assert.Equal(["OWNER0", "OWNER1", "OWNER3", "OWNER4"], reopened.Recovered.Select(m => m.QueueId).Order().ToArray());
    }

    [Fact]
    public async Task Body_of_a_multi_segment_sequence_is_stored_as_the_exact_concatenation()
    {
        var body = Body(70_001, seed: 2);
        var sequence = ChunkedSequence.Split(body, 1, 4096, 0, 333, 65_536, 17);
        Assert.False(sequence.IsSingleSegment);
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));

        var accepted = await spool.AcceptAsync(Envelope(), Received, sequence);

        Assert.Equal(Stored(body), ReadBody(spool, accepted.QueueId));
        using var stream = spool.OpenBody(accepted.QueueId);
        Assert.True(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Equal(Received.Length + body.Length, stream.Length);
        stream.Seek(-10, SeekOrigin.End);
        var tail = new byte[32];
        Assert.Equal(10, stream.Read(tail));
        Assert.Equal(body[^10..], tail[..10]);
        Assert.Equal(0, stream.Read(tail));
        stream.Position = Received.Length;
        var first = new byte[5];
        stream.ReadExactly(first);
        Assert.Equal(body[..5], first);
    }

    [Fact]
    public async Task Empty_prefix_and_empty_body_are_allowed()
    {
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));

        var accepted = await spool.AcceptAsync(Envelope(), ReadOnlyMemory<byte>.Empty, ReadOnlySequence<byte>.Empty);

        Assert.Equal(0, accepted.Length);
        Assert.Empty(ReadBody(spool, accepted.QueueId));
    }

    [Fact]
    public async Task Finish_is_idempotent_and_unknown_ids_are_a_no_op()
    {
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));
        var accepted = await AcceptAsync(spool, Body(10, seed: 3), recipients: 2);

        await spool.FinishAsync(accepted.QueueId, [0], RecipientOutcome.Delivered);
        var recordsAfterFirst = spool.Statistics.RecordsCommitted;
        await spool.FinishAsync(accepted.QueueId, [0, 0], RecipientOutcome.Failed);
        await spool.FinishAsync("0000000000000000", [0], RecipientOutcome.Delivered);

        Assert.Equal(recordsAfterFirst, spool.Statistics.RecordsCommitted);
        Assert.True(spool.Contains(accepted.QueueId));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => spool.FinishAsync(accepted.QueueId, [2], RecipientOutcome.Delivered));

        await spool.FinishAsync(accepted.QueueId, [1], RecipientOutcome.Cancelled);
        Assert.False(spool.Contains(accepted.QueueId));
        Assert.Throws<KeyNotFoundException>(() => spool.OpenBody(accepted.QueueId));
        await spool.FinishAsync(accepted.QueueId, [1], RecipientOutcome.Cancelled);
    }

    [Fact]
    public async Task A_finish_waits_for_the_next_accept_and_shares_its_fsync()
    {
        // A long linger so that the accept, issued right after the finish, surely arrives within it.
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path) { FinishLinger = TimeSpan.FromSeconds(30) });
        var first = await AcceptAsync(spool, Body(10, seed: 4));
        var before = spool.Statistics;

        var finish = spool.FinishAsync(first.QueueId, [0, 1], RecipientOutcome.Delivered);
        var second = await AcceptAsync(spool, Body(10, seed: 5));
        await finish;

        var after = spool.Statistics;
        Assert.Equal(before.FsyncCount + 1, after.FsyncCount);
        Assert.Equal(before.RecordsCommitted + 2, after.RecordsCommitted);
        Assert.False(spool.Contains(first.QueueId));
        Assert.True(spool.Contains(second.QueueId));
    }

    [Fact]
    public async Task A_finish_alone_is_committed_once_the_linger_has_passed()
    {
        var linger = TimeSpan.FromMilliseconds(300);
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path) { FinishLinger = linger });
        var accepted = await AcceptAsync(spool, Body(10, seed: 6));
        var before = spool.Statistics.FsyncCount;
        var stopwatch = Stopwatch.StartNew();

        await spool.FinishAsync(accepted.QueueId, [0, 1], RecipientOutcome.Delivered);

        Assert.True(stopwatch.Elapsed >= linger - TimeSpan.FromMilliseconds(20), $"committed after {stopwatch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(before + 1, spool.Statistics.FsyncCount);
        Assert.False(spool.Contains(accepted.QueueId));
    }

    [Fact]
    public async Task Dispose_does_not_wait_out_a_finish_linger()
    {
        var spool = MessageSpool.Open(new SpoolOptions(_directory.Path) { FinishLinger = TimeSpan.FromMinutes(5) });
        var accepted = await AcceptAsync(spool, Body(10, seed: 7));
        var finish = spool.FinishAsync(accepted.QueueId, [0, 1], RecipientOutcome.Delivered);

        await spool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await finish.WaitAsync(TimeSpan.FromSeconds(30));

        await using var reopened = MessageSpool.Open(new SpoolOptions(_directory.Path));
        Assert.Empty(reopened.Recovered);
    }

    [Fact]
    public async Task A_commit_on_the_callers_thread_does_not_wait_out_a_finish_linger()
    {
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path) { FinishLinger = TimeSpan.FromMinutes(5) });
        var accepted = await AcceptAsync(spool, Body(10, seed: 8));
        var before = spool.Statistics.FsyncCount;

        // The writer takes the finish alone and lingers for an accept; the caller's own commit (the holder's shadow
        // intake) waits for the writer's gate, which must cut that linger short instead of sitting out five minutes.
        var finish = spool.FinishAsync(accepted.QueueId, [0, 1], RecipientOutcome.Delivered);
        var body = Body(100, seed: 9);
        var tasks = await Task.Run(() => spool.AcceptAll([("CALLER1", Envelope(recipients: 1), new ReadOnlySequence<byte>(body))], onCallerThread: true))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(tasks[0].IsCompletedSuccessfully);
        await finish.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(spool.Contains(accepted.QueueId));
        Assert.Equal(body, ReadBody(spool, "CALLER1"));
        Assert.InRange(spool.Statistics.FsyncCount, before + 1, before + 2);
    }

    [Fact]
    public async Task Message_without_recipients_is_refused()
    {
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));

        await Assert.ThrowsAsync<ArgumentException>(() => AcceptAsync(spool, [1, 2, 3], recipients: 0));
    }

    [Fact]
    public async Task Concurrent_accepts_share_fsyncs()
    {
        const int count = 200;
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));
        var bodies = Enumerable.Range(0, count).Select(i => Body(4096, seed: i)).ToArray();
        var stopwatch = Stopwatch.StartNew();

        var accepted = await Task.WhenAll(bodies.Select(body => Task.Run(() => AcceptAsync(spool, body))));
        stopwatch.Stop();

        var statistics = spool.Statistics;
        _output.WriteLine(
            $"{count} concurrent accepts: {statistics.FsyncCount} fsyncs, {statistics.Batches} batches, " +
            $"{statistics.RecordsCommitted} records, {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(count, statistics.RecordsCommitted);
        Assert.Equal(count, statistics.MessagesQueued);
        Assert.True(statistics.FsyncCount < count, $"{statistics.FsyncCount} fsyncs for {count} accepts");
        Assert.Equal(count, accepted.Select(a => a.QueueId).Distinct().Count());
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Stored(bodies[i]), ReadBody(spool, accepted[i].QueueId));
        }
    }

    [Fact]
    public async Task Concurrent_accept_read_and_finish_leave_an_empty_spool()
    {
        const int tasks = 8;
        const int perTask = 250;
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 256 << 10 };
        await using (var spool = MessageSpool.Open(options))
        {
            var workers = Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
            {
                for (var i = 0; i < perTask; i++)
                {
                    var body = Body(100 + ((t * perTask) + i) % 5000, seed: (t * perTask) + i);
                    var accepted = await spool.AcceptAsync(Envelope(recipients: 2), Received, ChunkedSequence.Split(body, 700, 64));
                    Assert.Equal(Stored(body), ReadBody(spool, accepted.QueueId));
                    await spool.FinishAsync(accepted.QueueId, [1], RecipientOutcome.Failed);
                    await spool.FinishAsync(accepted.QueueId, [0], RecipientOutcome.Delivered);
                    Assert.False(spool.Contains(accepted.QueueId));
                }
            })).ToArray();
            await Task.WhenAll(workers);
            await spool.FlushAsync();

            var statistics = spool.Statistics;
            _output.WriteLine($"stress: {statistics}");
            Assert.Equal(0, statistics.MessagesQueued);
            Assert.Equal(0, statistics.BytesQueued);
            Assert.Equal(tasks * perTask * 3, statistics.RecordsCommitted);
            Assert.Equal(1, statistics.Segments);
            Assert.Single(_directory.SegmentFiles());
        }

        await using var reopened = MessageSpool.Open(options);
        Assert.Empty(reopened.Recovered);
        Assert.Equal(0, reopened.Statistics.MessagesQueued);
        Assert.Single(_directory.SegmentFiles());
    }

    [Fact]
    public async Task Cancelled_accepts_are_either_durable_or_absent()
    {
        const int count = 50;
        var succeeded = 0;
        await using (var spool = MessageSpool.Open(new SpoolOptions(_directory.Path)))
        {
            using (var alreadyCancelled = new CancellationTokenSource())
            {
                await alreadyCancelled.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                    spool.AcceptAsync(Envelope(), Received, new ReadOnlySequence<byte>([1]), alreadyCancelled.Token));
            }

            var attempts = new List<(CancellationTokenSource Source, Task<SpooledMessage> Accept)>();
            for (var i = 0; i < count; i++)
            {
                var source = new CancellationTokenSource();
                attempts.Add((source, spool.AcceptAsync(Envelope(), Received, new ReadOnlySequence<byte>(Body(2048, i)), source.Token)));
                await source.CancelAsync();
            }

            foreach (var (source, accept) in attempts)
            {
                try
                {
                    var message = await accept;
                    Assert.True(spool.Contains(message.QueueId));
                    succeeded++;
                }
                catch (OperationCanceledException)
                {
                }

                source.Dispose();
            }

            await spool.FlushAsync();
            _output.WriteLine($"{succeeded} of {count} cancelled accepts had already been taken by the writer");
            Assert.Equal(succeeded, spool.Statistics.MessagesQueued);
        }

        await using var reopened = MessageSpool.Open(new SpoolOptions(_directory.Path));
        Assert.Equal(succeeded, reopened.Recovered.Count);
    }

    [Fact]
    public async Task Dispose_completes_queued_writes_and_later_calls_throw()
    {
        var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));
        var pending = Enumerable.Range(0, 20).Select(i => AcceptAsync(spool, Body(1000, i))).ToArray();

        await spool.DisposeAsync();

        // Dispose completed every queued write: each accept finishes with its message (its continuation may still be
        // on its way through the thread pool when DisposeAsync returns, so it is awaited, not sampled), none fails.
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(pending, task => Assert.True(task.IsCompletedSuccessfully));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => AcceptAsync(spool, [1]));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => spool.FinishAsync(pending[0].Result.QueueId, [0], RecipientOutcome.Delivered));
        Assert.Throws<ObjectDisposedException>(() => spool.OpenBody(pending[0].Result.QueueId));
        Assert.Throws<ObjectDisposedException>(() => spool.Contains(pending[0].Result.QueueId));
        await spool.DisposeAsync();

        await using var reopened = MessageSpool.Open(new SpoolOptions(_directory.Path));
        Assert.Equal(pending.Select(p => p.Result.QueueId), reopened.Recovered.Select(m => m.QueueId));
    }

    [Fact]
    public async Task A_directory_is_opened_by_one_spool_at_a_time()
    {
        await using var spool = MessageSpool.Open(new SpoolOptions(_directory.Path));

        Assert.Throws<IOException>(() => MessageSpool.Open(new SpoolOptions(_directory.Path)));
    }
}
