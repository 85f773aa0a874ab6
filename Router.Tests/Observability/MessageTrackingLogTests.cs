using Router.Actors.Configuration;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracking;
using Router.Testing;
using Router.Tests.Spool;

namespace Router.Tests.Observability;

public sealed class MessageTrackingLogTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private TrackingOptions Options(long maxFileSize = 64 << 20, int retainFiles = 10, int capacity = 65_536) => new()
    {
        Directory = Path.Combine(_directory.Path, "tracking"),
        MaxFileSize = maxFileSize,
        RetainFiles = retainFiles,
        QueueCapacity = capacity,
    };

    private static TrackingEvent Event(string kind, string queueId, string? messageId = null, string? reply = null) => new()
    {
        Time = DateTimeOffset.UtcNow,
        Event = kind,
        QueueId = queueId,
        MessageId = messageId,
        Reply = reply,
    };

    private string[] Files() => Directory.GetFiles(Path.Combine(_directory.Path, "tracking"), "tracking-*.jsonl").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Events_are_found_by_queue_id_in_order_with_the_node_stamped()
    {
        await using var log = new MessageTrackingLog(Options(), "node-1");
        log.Write(Event(TrackingEventKind.Received, "Q1", "<m1@example.org>"));
        log.Write(Event(TrackingEventKind.Received, "Q2", "<m2@example.org>"));
        log.Write(Event(TrackingEventKind.Routed, "Q1"));
        log.Write(Event(TrackingEventKind.Delivered, "Q1", reply: "250 2.0.0 Ok"));

        var events = await log.FindAsync("Q1");

        Assert.Equal([TrackingEventKind.Received, TrackingEventKind.Routed, TrackingEventKind.Delivered], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal("node-1", e.Node));
        Assert.Equal("<m1@example.org>", events[0].MessageId);
        Assert.Equal("250 2.0.0 Ok", events[2].Reply);
        // One JSON object per line, null fields left out, the Message-ID readable (not \u003C-escaped).
        var lines = await File.ReadAllLinesAsync(Files().Single());
        Assert.Equal(4, lines.Length);
        Assert.Contains("\"messageId\":\"<m1@example.org>\"", lines[0]);
        Assert.DoesNotContain("null", lines[2]);
        // The admin endpoint answers with the same shape as the log lines.
        var answer = System.Text.Json.JsonSerializer.Serialize(events, TrackingJsonContext.Default.IReadOnlyListTrackingEvent);
        Assert.StartsWith("[{\"time\":", answer);
        Assert.Contains("\"event\":\"delivered\"", answer);
    }

    [Fact]
    public async Task A_message_id_finds_every_queue_id_received_with_it_and_all_their_events()
    {
        await using var log = new MessageTrackingLog(Options(), "n");
        log.Write(Event(TrackingEventKind.Received, "Q1", "<same@example.org>"));
        log.Write(Event(TrackingEventKind.Received, "Q9", "<other@example.org>"));
        log.Write(Event(TrackingEventKind.Received, "Q2", "<same@example.org>"));
        log.Write(Event(TrackingEventKind.Delivered, "Q2"));
        log.Write(Event(TrackingEventKind.Delivered, "Q9"));
        log.Write(Event(TrackingEventKind.Delivered, "Q1"));

        foreach (var query in new[] { "<same@example.org>", "same@example.org" })
        {
            var events = await log.FindAsync(query);
            Assert.Equal(["Q1:received", "Q2:received", "Q2:delivered", "Q1:delivered"], events.Select(e => $"{e.QueueId}:{e.Event}"));
        }
        Assert.Empty(await log.FindAsync("<unknown@example.org>"));
    }

    [Fact]
    public async Task Files_rotate_by_size_only_the_newest_are_kept_and_a_history_is_found_across_files()
    {
        await using (var log = new MessageTrackingLog(Options(maxFileSize: 2048, retainFiles: 3), "n"))
        {
            for (var i = 0; i < 200; i++)
            {
                // Q-tracked's events are spread over the last files among the filler.
                if (i is 186 or 192 or 198)
                    log.Write(Event(i == 186 ? TrackingEventKind.Received : TrackingEventKind.Attempt, "Q-tracked", i == 186 ? "<t@example.org>" : null, $"step {i}"));
                log.Write(Event(TrackingEventKind.Routed, $"F{i:D4}", reply: new string('x', 100)));
            }
            await log.FlushAsync();

            var files = Files();
            Assert.Equal(3, files.Length);
            Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 2048, $"{f} is {new FileInfo(f).Length} bytes"));
            // The oldest events went with the deleted files.
            Assert.Empty(await log.FindAsync("F0000"));
            var history = await log.FindAsync("<t@example.org>");
            Assert.Equal(["step 186", "step 192", "step 198"], history.Select(e => e.Reply));
            Assert.True(files.Count(f => File.ReadAllText(f).Contains("Q-tracked")) >= 2, "the history should span at least two files for this test to mean anything");
        }

        // A restarted node continues the newest file and its files still count against retain-files.
        await using (var again = new MessageTrackingLog(Options(maxFileSize: 2048, retainFiles: 3), "n"))
        {
            again.Write(Event(TrackingEventKind.Delivered, "Q-tracked", reply: "after restart"));
            var history = await again.FindAsync("Q-tracked");
            Assert.Equal(["step 186", "step 192", "step 198", "after restart"], history.Select(e => e.Reply));
            Assert.Equal(3, Files().Length);
        }
    }

    [Fact]
    public async Task A_slow_disk_never_blocks_a_writer_the_overflow_is_dropped_and_counted()
    {
        var metrics = new RouterMetrics();
        using var disk = new StalledStream();
        await using var log = new MessageTrackingLog(Options(capacity: 100), "n", metrics, null, _ => disk);

        // The writer thread takes the first event and then hangs in the disk's Write.
        log.Write(Event(TrackingEventKind.Received, "Q0"));
        Assert.True(disk.WriteStarted.Wait(TimeSpan.FromSeconds(10)), "the writer never reached the disk");

        // 1,000 more events while the disk hangs: each Write returns at once; the queue takes 100, the rest are dropped.
        var writes = Task.Run(() => Enumerable.Range(1, 1000).Count(i => log.Write(Event(TrackingEventKind.Routed, $"Q{i}"))));
        var queued = await writes.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(100, queued);
        Assert.Equal(900, log.Dropped);
        Assert.Equal(900, PrometheusText.Parse(await metrics.ExportTextAsync()).Value("router_tracking_events_dropped_total"));

        disk.Release();
        await log.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(101, disk.Lines);
        Assert.Equal(101, PrometheusText.Parse(await metrics.ExportTextAsync()).Value("router_tracking_events_written_total"));
    }

    [Fact]
    public async Task Events_that_arrive_while_the_writer_rests_go_out_as_one_batch_and_a_flush_ends_the_rest()
    {
        using var disk = new CountingStream();
        // A rest far longer than the test may take: only a flush can end it.
        await using var log = new MessageTrackingLog(Options(), "n", null, null, _ => disk, gatherWindow: TimeSpan.FromMinutes(10));

        log.Write(Event(TrackingEventKind.Received, "Q0"));
        await Eventually.TrueAsync(() => disk.Flushes == 1, TimeSpan.FromSeconds(30), "the first event was not written");

        // The writer now rests: fifty events from as many threads queue up without waking it.
        await Task.WhenAll(Enumerable.Range(1, 50).Select(i => Task.Run(() => log.Write(Event(TrackingEventKind.Routed, $"Q{i}")))));
        Assert.Equal(1, disk.Lines);

        await log.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(51, disk.Lines);
        Assert.Equal(2, disk.Flushes);
    }

    /// <summary>A write-only stream in place of the log's file; the lines written go to <see cref="Stream.Write(ReadOnlySpan{byte})"/>.</summary>
    private abstract class DiskStream : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A disk that counts the lines it is given and the flushes (one per batch the writer writes).</summary>
    private sealed class CountingStream : DiskStream
    {
        private int _lines;
        private int _flushes;

        public int Lines => Volatile.Read(ref _lines);

        public int Flushes => Volatile.Read(ref _flushes);

        public override void Write(ReadOnlySpan<byte> buffer) => Interlocked.Add(ref _lines, buffer.Count((byte)'\n'));

        public override void Flush() => Interlocked.Increment(ref _flushes);
    }

    /// <summary>A disk whose writes hang until released; it counts the lines it is given.</summary>
    private sealed class StalledStream : DiskStream
    {
        private readonly ManualResetEventSlim _released = new();
        private int _lines;

        public ManualResetEventSlim WriteStarted { get; } = new();

        public int Lines => Volatile.Read(ref _lines);

        public void Release() => _released.Set();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            WriteStarted.Set();
            _released.Wait();
            Interlocked.Add(ref _lines, buffer.Count((byte)'\n'));
        }

        public override void Flush()
        {
        }

        protected override void Dispose(bool disposing)
        {
            _released.Set();
            base.Dispose(disposing);
        }
    }
}
