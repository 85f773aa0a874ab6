using Router.Actors.Spool;
using Router.Testing;
using Xunit;
using static Router.Tests.Spool.SpoolTestData;

namespace Router.Tests.Spool;

public sealed class MessageSpoolRecoveryTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();

    public enum Damage
    {
        CutInHalf,
        CutInHeader,
        GarbageAppended,
        BodyByteFlipped,
        ChecksumFlipped,
    }

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(Damage.CutInHalf)]
    [InlineData(Damage.CutInHeader)]
    [InlineData(Damage.GarbageAppended)]
    [InlineData(Damage.BodyByteFlipped)]
    [InlineData(Damage.ChecksumFlipped)]
    public async Task Torn_last_record_is_dropped_and_acknowledged_ones_survive(Damage damage)
    {
        var options = new SpoolOptions(_directory.Path);
        var bodies = Enumerable.Range(0, 5).Select(i => Body(3000 + i, seed: 100 + i)).ToArray();
        var ids = new string[5];
        await using (var spool = MessageSpool.Open(options))
        {
            ids[0] = (await AcceptAsync(spool, bodies[0])).QueueId;
            ids[1] = (await AcceptAsync(spool, bodies[1])).QueueId;
        }

        long lengthBeforeLast;
        long lengthAfterLast;
        var segment = _directory.Segment(2);
        await using (var spool = MessageSpool.Open(options))
        {
            ids[2] = (await AcceptAsync(spool, bodies[2])).QueueId;
            lengthBeforeLast = new FileInfo(segment).Length;
            ids[3] = (await AcceptAsync(spool, bodies[3])).QueueId;
            lengthAfterLast = new FileInfo(segment).Length;
        }

        Assert.True(lengthAfterLast > lengthBeforeLast);
        var survivors = Damage.GarbageAppended == damage ? 4 : 3;
        Inflict(damage, segment, lengthBeforeLast, lengthAfterLast);

        var logger = new ListLogger();
        await using (var spool = MessageSpool.Open(options, logger))
        {
            Assert.Equal(ids.Take(survivors), spool.Recovered.Select(m => m.QueueId));
            for (var i = 0; i < survivors; i++)
            {
                Assert.Equal(Stored(bodies[i]), ReadBody(spool, ids[i]));
            }

            Assert.Equal(survivors == 4 ? lengthAfterLast : lengthBeforeLast, new FileInfo(segment).Length);
            Assert.Contains(logger.Warnings, w => w.Contains("torn record", StringComparison.Ordinal) && w.Contains("seg-0000000002.log", StringComparison.Ordinal));

            ids[4] = (await AcceptAsync(spool, bodies[4])).QueueId;
        }

        var quiet = new ListLogger();
        await using (var spool = MessageSpool.Open(options, quiet))
        {
            Assert.Equal(ids.Take(survivors).Append(ids[4]), spool.Recovered.Select(m => m.QueueId));
            Assert.Equal(Stored(bodies[4]), ReadBody(spool, ids[4]));
            Assert.Empty(quiet.Warnings);
        }
    }

    [Fact]
    public async Task Finished_message_is_gone_after_reopen_and_its_segment_deleted()
    {
        var options = new SpoolOptions(_directory.Path);
        string queueId;
        await using (var spool = MessageSpool.Open(options))
        {
            queueId = (await AcceptAsync(spool, Body(500, seed: 1), recipients: 2)).QueueId;
            await spool.FinishAsync(queueId, [0, 1], RecipientOutcome.Delivered);
            Assert.False(spool.Contains(queueId));
        }

        Assert.True(File.Exists(_directory.Segment(1)));
        await using (var spool = MessageSpool.Open(options))
        {
            Assert.Empty(spool.Recovered);
            Assert.False(spool.Contains(queueId));
            Assert.Equal([_directory.Segment(2)], _directory.SegmentFiles());
        }
    }

    [Fact]
    public async Task A_segment_goes_only_when_it_and_every_older_segment_are_finished()
    {
        // SegmentSize 1: every group commit starts a new segment, so A, B, finish(B), finish(A) land in seg 1 to 4.
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1 };
        await using var spool = MessageSpool.Open(options);
        var a = await AcceptAsync(spool, Body(100, seed: 1), recipients: 1);
        var b = await AcceptAsync(spool, Body(100, seed: 2), recipients: 1);

        await spool.FinishAsync(b.QueueId, [0], RecipientOutcome.Delivered);
        await spool.FlushAsync();

        // seg 2 holds only finished mail, but seg 1 (A, live) is older: seg 3's Finished record for B must stay,
        // so nothing can go yet.
        Assert.Equal([1L, 2, 3], SegmentIds());

        await spool.FinishAsync(a.QueueId, [0], RecipientOutcome.Failed);
        await spool.FlushAsync();

        Assert.Equal([4L], SegmentIds());
        Assert.Equal(1, spool.Statistics.Segments);
    }

    [Fact]
    public async Task Partial_finish_keeps_only_pending_recipients()
    {
        var options = new SpoolOptions(_directory.Path);
        var envelope = Envelope(recipients: 4);
        string queueId;
        await using (var spool = MessageSpool.Open(options))
        {
            queueId = (await spool.AcceptAsync(envelope, Received, new([1, 2, 3]))).QueueId;
            await spool.FinishAsync(queueId, [2], RecipientOutcome.Delivered);
            await spool.FinishAsync(queueId, [0], RecipientOutcome.Failed);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal([1, 3], recovered.PendingRecipients);
            AssertSameEnvelope(envelope, recovered.Envelope);
            await spool.FinishAsync(queueId, [1, 3], RecipientOutcome.Cancelled);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            Assert.Empty(spool.Recovered);
        }
    }

    [Fact]
    public async Task Recipients_handed_to_another_node_stay_finished_and_the_handover_count_survives_a_restart()
    {
        var options = new SpoolOptions(_directory.Path);
        var envelope = Envelope(recipients: 3) with { Handovers = 1 };
        string queueId;
        await using (var spool = MessageSpool.Open(options))
        {
            queueId = (await spool.AcceptAsync(envelope, Received, new([1, 2, 3]))).QueueId;
            await spool.FinishAsync(queueId, [1], RecipientOutcome.HandedOver);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            var recovered = Assert.Single(spool.Recovered);
            Assert.Equal([0, 2], recovered.PendingRecipients);
            Assert.Equal(1, recovered.Envelope.Handovers);
            await spool.FinishAsync(queueId, [0, 2], RecipientOutcome.HandedOver);
        }

        await using (var spool = MessageSpool.Open(options))
        {
            Assert.Empty(spool.Recovered);
        }
    }

    [Fact]
    public async Task Unknown_record_types_are_skipped_with_a_warning()
    {
        var options = new SpoolOptions(_directory.Path);
        string queueId;
        await using (var spool = MessageSpool.Open(options))
        {
            queueId = (await AcceptAsync(spool, Body(100, seed: 1), recipients: 2)).QueueId;
        }

        var segment = _directory.Segment(1);
        byte[] future = [.. Record(99, [1, 2, 3, 4, 5]), .. SpoolRecordFormat.BuildFinished(queueId, [0], RecipientOutcome.Delivered)];
        Append(segment, future);
        var length = new FileInfo(segment).Length;

        var logger = new ListLogger();
        await using (var spool = MessageSpool.Open(options, logger))
        {
            // The Finished record after the unknown one was applied: recovery went on past it.
            Assert.Equal([1], Assert.Single(spool.Recovered).PendingRecipients);
            Assert.Contains(logger.Warnings, w => w.Contains("unknown type 99", StringComparison.Ordinal));
            Assert.Equal(length, new FileInfo(segment).Length);
        }
    }

    [Fact]
    public async Task A_well_checksummed_record_that_does_not_parse_stops_the_open()
    {
        await using (var spool = MessageSpool.Open(new SpoolOptions(_directory.Path)))
        {
            await AcceptAsync(spool, Body(100, seed: 1));
        }

        Append(_directory.Segment(1), Record((byte)SpoolRecordType.Accepted, [3, (byte)'A', (byte)'B', (byte)'C', 9, 0, 0, 0, (byte)'{']));

        Assert.Throws<InvalidDataException>(() => MessageSpool.Open(new SpoolOptions(_directory.Path)));
    }

    private static void Inflict(Damage damage, string segment, long lengthBeforeLast, long lengthAfterLast)
    {
        switch (damage)
        {
            case Damage.CutInHalf:
                SetLength(segment, lengthBeforeLast + ((lengthAfterLast - lengthBeforeLast) / 2));
                break;
            case Damage.CutInHeader:
                SetLength(segment, lengthBeforeLast + 5);
                break;
            case Damage.GarbageAppended:
                Append(segment, Body(77, seed: 5));
                break;
            case Damage.BodyByteFlipped:
                FlipByte(segment, lengthAfterLast - 5);
                break;
            case Damage.ChecksumFlipped:
                FlipByte(segment, lengthBeforeLast + 9);
                break;
        }
    }

    private static byte[] Record(byte type, byte[] payload)
    {
        var record = new byte[SpoolRecordFormat.HeaderSize + payload.Length];
        SpoolRecordFormat.WriteHeader(record, (SpoolRecordType)type, payload.Length, SpoolRecordFormat.Checksum((SpoolRecordType)type, payload));
        payload.CopyTo(record, SpoolRecordFormat.HeaderSize);
        return record;
    }

    private static void SetLength(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(length);
    }

    private static void Append(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        file.Write(bytes);
    }

    private static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x5A));
    }

    private long[] SegmentIds() => _directory.SegmentFiles()
        .Select(f => long.Parse(Path.GetFileNameWithoutExtension(f)["seg-".Length..], System.Globalization.CultureInfo.InvariantCulture))
        .ToArray();
}
