using System.Buffers;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Router.Actors.Spool;

/// <summary>
/// Rebuilds the spool's state from its segment files, oldest first. A record that is cut short or fails its checksum
/// is a write torn by a crash: it and everything after it in that segment were never acknowledged, so the file is
/// truncated there. Later Accepted records for a known queue id are relocations and move the message.
/// </summary>
internal static class SpoolRecovery
{
    private const int ChunkSize = 1 << 20;

    public static SpoolRecoveryResult Run(string directory, ILogger logger)
    {
        var files = new List<(long Id, string Path)>();
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            if (SpoolSegment.TryParseId(Path.GetFileName(path), out var id))
            {
                files.Add((id, path));
            }
        }

        files.Sort((a, b) => a.Id.CompareTo(b.Id));
        var segments = new List<SpoolSegment>(files.Count);
        var messages = new Dictionary<string, SpoolEntry>(StringComparer.Ordinal);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long order = 0;
        try
        {
            foreach (var (id, path) in files)
            {
                var segment = new SpoolSegment(id, path);
                segments.Add(segment);
                Scan(segment, messages, ref order, buffer, logger);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        foreach (var entry in messages.Values)
        {
            entry.Location.Segment.Live.Add(entry);
        }

        return new SpoolRecoveryResult(segments, messages, files.Count == 0 ? 0 : files[^1].Id);
    }

    private static void Scan(SpoolSegment segment, Dictionary<string, SpoolEntry> messages, ref long order, byte[] buffer, ILogger logger)
    {
        using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        long position = 0;
        string? damage = null;
        Span<byte> headerBytes = stackalloc byte[SpoolRecordFormat.HeaderSize];
        while (position < length)
        {
            if (length - position < SpoolRecordFormat.HeaderSize)
            {
                damage = "incomplete header";
                break;
            }

            ReadExactly(handle, headerBytes, position);
            var header = SpoolRecordFormat.ReadHeader(headerBytes);
            if (header.Magic != SpoolRecordFormat.Magic)
            {
                damage = "no record magic";
                break;
            }

            if (header.PayloadLength > SpoolRecordFormat.MaxPayloadLength
                || header.PayloadLength > length - position - SpoolRecordFormat.HeaderSize)
            {
                damage = "incomplete record";
                break;
            }

            if (!ChecksumMatches(handle, position, header, buffer))
            {
                damage = "checksum mismatch";
                break;
            }

            try
            {
                Apply(segment, handle, position, header, messages, ref order, logger);
            }
            catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or ArgumentException)
            {
                // The checksum is right, so this is what was written: not a torn write but a format this build cannot
                // read. Starting anyway could lose or resend mail; an operator has to look.
                throw new InvalidDataException($"Spool segment {segment} holds an unreadable record at offset {position}.", ex);
            }

            position += SpoolRecordFormat.HeaderSize + header.PayloadLength;
        }

        if (damage is not null)
        {
            logger.LogWarning(
                "Spool segment {Segment} has a torn record at offset {Offset} ({Damage}); truncating {Bytes} unacknowledged bytes",
                segment.ToString(), position, damage, length - position);
            RandomAccess.SetLength(handle, position);
            RandomAccess.FlushToDisk(handle);
        }
    }

    private static void Apply(
        SpoolSegment segment, SafeFileHandle handle, long position, SpoolRecordHeader header,
        Dictionary<string, SpoolEntry> messages, ref long order, ILogger logger)
    {
        var payloadOffset = position + SpoolRecordFormat.HeaderSize;
        var payloadLength = (int)header.PayloadLength;
        switch ((SpoolRecordType)header.Type)
        {
            case SpoolRecordType.Accepted:
                {
                    Span<byte> first = stackalloc byte[1];
                    ReadExactly(handle, first, payloadOffset);
                    var fixedLength = SpoolRecordFormat.AcceptedFixedPartLength(first[0]);
                    if (fixedLength > payloadLength)
                    {
                        throw new InvalidDataException("Accepted record is too short for its queue id.");
                    }

                    var fixedPart = new byte[fixedLength];
                    ReadExactly(handle, fixedPart, payloadOffset);
                    var (queueId, jsonLength) = SpoolRecordFormat.ReadAcceptedFixedPart(fixedPart);
                    var metadataLength = fixedLength + jsonLength;
                    if (metadataLength > payloadLength)
                    {
                        throw new InvalidDataException($"Accepted record for {queueId} is too short for its envelope.");
                    }

                    var json = new byte[jsonLength];
                    ReadExactly(handle, json, payloadOffset + fixedLength);
                    var envelope = SpoolRecordFormat.ReadEnvelope(json);
                    var location = new SpoolLocation(
                        segment,
                        position,
                        SpoolRecordFormat.HeaderSize + payloadLength,
                        payloadOffset + metadataLength,
                        payloadLength - metadataLength);
                    if (messages.TryGetValue(queueId, out var known))
                    {
                        // A relocated copy: the newer record is the one that will outlive the older segment.
                        known.Location = location;
                    }
                    else if (envelope.Recipients.Count > 0)
                    {
                        messages.Add(queueId, new SpoolEntry(queueId, envelope, order++, location));
                    }

                    break;
                }

            case SpoolRecordType.Finished:
                {
                    var payload = new byte[payloadLength];
                    ReadExactly(handle, payload, payloadOffset);
                    var (queueId, outcome, indexes) = SpoolRecordFormat.ReadFinished(payload);
                    if (outcome == 0)
                    {
                        throw new InvalidDataException($"Finished record for {queueId} has no outcome.");
                    }

                    // Unknown ids are normal: the message finished earlier, or its older segment is gone and a
                    // relocated copy (with its own Finished record) comes later.
                    if (messages.TryGetValue(queueId, out var entry))
                    {
                        entry.MarkFinished(indexes, (byte)outcome);
                        if (entry.Pending == 0)
                        {
                            messages.Remove(queueId);
                        }
                    }

                    break;
                }

            case SpoolRecordType.Deferred:
                {
                    var payload = new byte[payloadLength];
                    ReadExactly(handle, payload, payloadOffset);
                    var (queueId, deferrals, next) = SpoolRecordFormat.ReadDeferred(payload);
                    if (messages.TryGetValue(queueId, out var entry))
                    {
                        entry.Deferrals = deferrals;
                        entry.NextAttempt = next;
                    }

                    break;
                }

            default:
                logger.LogWarning(
                    "Spool segment {Segment} has a record of unknown type {RecordType} at offset {Offset}; skipping it",
                    segment.ToString(), header.Type, position);
                break;
        }
    }

    private static bool ChecksumMatches(SafeFileHandle handle, long position, SpoolRecordHeader header, byte[] buffer)
    {
        var crc = new Crc32();
        crc.Append([header.Type]);
        var offset = position + SpoolRecordFormat.HeaderSize;
        var remaining = (long)header.PayloadLength;
        while (remaining > 0)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, remaining));
            ReadExactly(handle, chunk, offset);
            crc.Append(chunk);
            offset += chunk.Length;
            remaining -= chunk.Length;
        }

        return crc.GetCurrentHashAsUInt32() == header.Checksum;
    }

    internal static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
            {
                throw new EndOfStreamException("Spool segment ended inside a record.");
            }

            destination = destination[read..];
            offset += read;
        }
    }
}
