using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Router.Actors.Spool;

/// <summary>
/// Frees old segments that still pin the disk. The oldest segment stays while it holds live messages; once more
/// than <see cref="SpoolOptions.MaxSegmentsBeforeRelocation"/> segments are newer, the writer copies its live
/// messages (a batch's worth at a time) into the head segment, ahead of the batch's own records, so that the
/// reaper can delete it. Runs on the writer thread.
/// </summary>
internal sealed class SpoolCompactor
{
    private readonly SpoolOptions _options;
    private readonly SpoolIndex _index;
    private readonly ILogger _logger;

    public SpoolCompactor(SpoolOptions options, SpoolIndex index, ILogger logger)
    {
        _options = options;
        _index = index;
        _logger = logger;
    }

    /// <summary>The messages to copy forward with the next batch; empty when no segment needs it.</summary>
    public List<Relocation> Plan(SpoolSegment head)
    {
        var plans = new List<Relocation>();
        foreach (var entry in _index.OldestSegmentToMove(head, _options.MaxSegmentsBeforeRelocation, _options.MaxBatchBytes))
        {
            plans.Add(new Relocation(entry, entry.Location, FinishedRecordsOf(entry)));
        }

        if (plans.Count > 0)
        {
            _logger.LogInformation(
                "Spool relocating {Messages} messages out of old segment {Segment}",
                plans.Count, plans[0].From.Segment.ToString());
        }

        return plans;
    }

    /// <summary>
    /// Writes the relocations into the head segment from <paramref name="offset"/> on (not fsync'd) and adds one
    /// <see cref="CommittedRecord"/> per message moved. A message whose old record fails its checksum is marked
    /// unmovable and skipped, its bytes written past the end counted in <paramref name="highWater"/>. Returns the
    /// records written; a failure to write the head segment throws.
    /// </summary>
    public int CopyForward(
        List<Relocation> relocations,
        SpoolSegment head,
        SafeFileHandle headFile,
        ref long offset,
        ref long highWater,
        List<CommittedRecord> committed,
        byte[] buffer)
    {
        var records = 0;
        foreach (var relocation in relocations)
        {
            var copied = CopyRecord(relocation.From, headFile, offset, buffer);
            highWater = Math.Max(highWater, offset + relocation.From.RecordLength);
            if (!copied)
            {
                relocation.Entry.Unmovable = true;
                _logger.LogError(
                    "Spool message {QueueId} in segment {Segment} failed its checksum while being relocated; it stays where it is",
                    relocation.Entry.QueueId, relocation.From.Segment.ToString());
                continue;
            }

            var to = new SpoolLocation(
                head,
                offset,
                relocation.From.RecordLength,
                offset + (relocation.From.BodyOffset - relocation.From.RecordOffset),
                relocation.From.BodyLength);
            offset += relocation.From.RecordLength;
            records++;
            foreach (var finished in relocation.FinishedRecords)
            {
                RandomAccess.Write(headFile, finished, offset);
                offset += finished.Length;
                records++;
            }

            highWater = Math.Max(highWater, offset);
            committed.Add(new CommittedRecord(null, relocation.Entry, to));
        }

        return records;
    }

    /// <summary>Finished records that carry a relocated message's finished recipients along with it.</summary>
    private static List<byte[]> FinishedRecordsOf(SpoolEntry entry)
    {
        var records = new List<byte[]>();
        foreach (var group in entry.Outcomes.Select((outcome, index) => (outcome, index)).Where(o => o.outcome != 0).GroupBy(o => o.outcome))
        {
            records.Add(SpoolRecordFormat.BuildFinished(entry.QueueId, group.Select(o => o.index).ToArray(), (RecipientOutcome)group.Key));
        }

        // The retry position travels with the message too.
        if (entry.NextAttempt is { } next)
        {
            records.Add(SpoolRecordFormat.BuildDeferred(entry.QueueId, entry.Deferrals, next));
        }

        return records;
    }

    /// <summary>
    /// Copies an Accepted record byte for byte (so its checksum still holds) and verifies it on the way. False when
    /// the old record cannot be read back intact; a failure to write the head segment throws.
    /// </summary>
    private static bool CopyRecord(SpoolLocation from, SafeFileHandle headFile, long to, byte[] buffer)
    {
        SafeFileHandle source;
        try
        {
            source = File.OpenHandle(from.Segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException)
        {
            return false;
        }

        using var sourceScope = source;
        var crc = new Crc32();
        uint expected = 0;
        long done = 0;
        while (done < from.RecordLength)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, from.RecordLength - done));
            try
            {
                SpoolRecovery.ReadExactly(source, chunk, from.RecordOffset + done);
            }
            catch (IOException)
            {
                return false;
            }

            if (done == 0)
            {
                var header = SpoolRecordFormat.ReadHeader(chunk);
                if (header.Magic != SpoolRecordFormat.Magic
                    || header.Type != (byte)SpoolRecordType.Accepted
                    || header.PayloadLength != from.RecordLength - SpoolRecordFormat.HeaderSize)
                {
                    return false;
                }

                expected = header.Checksum;
                crc.Append(chunk[(SpoolRecordFormat.HeaderSize - 1)..]);
            }
            else
            {
                crc.Append(chunk);
            }

            RandomAccess.Write(headFile, chunk, to + done);
            done += chunk.Length;
        }

        return crc.GetCurrentHashAsUInt32() == expected;
    }

    /// <summary>A live message to copy forward out of the oldest segment.</summary>
    internal sealed record Relocation(SpoolEntry Entry, SpoolLocation From, List<byte[]> FinishedRecords);
}
