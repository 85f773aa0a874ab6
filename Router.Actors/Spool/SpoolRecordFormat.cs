using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>
/// The on-disk layout of segment records. Every record is
/// <c>[magic u32][payload length u32][crc32 of type+payload u32][type u8][payload]</c>, little-endian.
/// <list type="bullet">
/// <item><c>Accepted</c>: <c>[id length u8][id ASCII][json length u32][envelope JSON][stored body]</c>.</item>
/// <item><c>Finished</c>: <c>[id length u8][id ASCII][outcome u8][count u32][index u32 × count]</c>.</item>
/// </list>
/// </summary>
internal static class SpoolRecordFormat
{
    /// <summary>"RSP1" read as a little-endian u32; a torn or foreign header rarely starts with it.</summary>
    public const uint Magic = 0x31505352;

    public const int HeaderSize = 13;

    /// <summary>Payloads stay below 2 GiB so that lengths fit an int everywhere; SMTP messages are far smaller.</summary>
    public const long MaxPayloadLength = int.MaxValue - HeaderSize;

    public const int MaxQueueIdLength = byte.MaxValue;

    public static void WriteHeader(Span<byte> destination, SpoolRecordType type, int payloadLength, uint checksum)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], checksum);
        destination[12] = (byte)type;
    }

    public static SpoolRecordHeader ReadHeader(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        source[12]);

    /// <summary>
    /// Builds header and metadata of an Accepted record and checksums the whole record, reading the
    /// caller's prefix and body once without copying them.
    /// </summary>
    /// <returns>Header plus metadata; the body (prefix, then body) follows it on disk.</returns>
    public static byte[] BuildAcceptedHead(
        string queueId, Envelope envelope, ReadOnlySpan<byte> prefix, in ReadOnlySequence<byte> body, out int metadataLength)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, SpoolJsonContext.Default.Envelope);
        metadataLength = 1 + queueId.Length + 4 + json.Length;
        var payloadLength = metadataLength + prefix.Length + body.Length;
        if (payloadLength > MaxPayloadLength)
        {
            throw new ArgumentException($"A spooled message is limited to {MaxPayloadLength} bytes; this one has {payloadLength}.", nameof(body));
        }

        var head = new byte[HeaderSize + metadataLength];
        var metadata = head.AsSpan(HeaderSize);
        metadata[0] = (byte)queueId.Length;
        Encoding.ASCII.GetBytes(queueId, metadata[1..]);
        BinaryPrimitives.WriteUInt32LittleEndian(metadata[(1 + queueId.Length)..], (uint)json.Length);
        json.CopyTo(metadata[(5 + queueId.Length)..]);

        var crc = new Crc32();
        crc.Append([(byte)SpoolRecordType.Accepted]);
        crc.Append(metadata);
        crc.Append(prefix);
        foreach (var segment in body)
        {
            crc.Append(segment.Span);
        }

        WriteHeader(head, SpoolRecordType.Accepted, (int)payloadLength, crc.GetCurrentHashAsUInt32());
        return head;
    }

    /// <summary>Builds a complete Finished record.</summary>
    public static byte[] BuildFinished(string queueId, IReadOnlyCollection<int> recipientIndexes, RecipientOutcome outcome)
    {
        var payloadLength = 1 + queueId.Length + 1 + 4 + (4 * recipientIndexes.Count);
        var record = new byte[HeaderSize + payloadLength];
        var payload = record.AsSpan(HeaderSize);
        payload[0] = (byte)queueId.Length;
        Encoding.ASCII.GetBytes(queueId, payload[1..]);
        var position = 1 + queueId.Length;
        payload[position++] = (byte)outcome;
        BinaryPrimitives.WriteUInt32LittleEndian(payload[position..], (uint)recipientIndexes.Count);
        position += 4;
        foreach (var index in recipientIndexes)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(payload[position..], (uint)index);
            position += 4;
        }

        WriteHeader(record, SpoolRecordType.Finished, payloadLength, Checksum(SpoolRecordType.Finished, payload));
        return record;
    }

    /// <summary>Builds a complete Deferred record: <c>[id length u8][id ASCII][deferrals u32][next attempt, Unix ms i64]</c>.</summary>
    public static byte[] BuildDeferred(string queueId, int deferrals, DateTimeOffset nextAttempt)
    {
        var payloadLength = 1 + queueId.Length + 4 + 8;
        var record = new byte[HeaderSize + payloadLength];
        var payload = record.AsSpan(HeaderSize);
        payload[0] = (byte)queueId.Length;
        Encoding.ASCII.GetBytes(queueId, payload[1..]);
        var position = 1 + queueId.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(payload[position..], (uint)Math.Max(deferrals, 0));
        BinaryPrimitives.WriteInt64LittleEndian(payload[(position + 4)..], nextAttempt.ToUnixTimeMilliseconds());
        WriteHeader(record, SpoolRecordType.Deferred, payloadLength, Checksum(SpoolRecordType.Deferred, payload));
        return record;
    }

    /// <exception cref="InvalidDataException">The payload does not parse.</exception>
    public static (string QueueId, int Deferrals, DateTimeOffset NextAttempt) ReadDeferred(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1 || payload.Length < 1 + payload[0] + 12)
        {
            throw new InvalidDataException("Deferred record is too short.");
        }

        int idLength = payload[0];
        var queueId = Encoding.ASCII.GetString(payload.Slice(1, idLength));
        var position = 1 + idLength;
        var deferrals = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(payload[position..]), int.MaxValue);
        var next = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(payload[(position + 4)..]));
        return (queueId, deferrals, next);
    }

    public static uint Checksum(SpoolRecordType type, ReadOnlySpan<byte> payload)
    {
        var crc = new Crc32();
        crc.Append([(byte)type]);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>Length of the id-and-JSON-length part that precedes the envelope JSON, read from its first byte.</summary>
    public static int AcceptedFixedPartLength(byte queueIdLength) => 1 + queueIdLength + 4;

    /// <summary>Parses the metadata of an Accepted record (its payload up to the body).</summary>
    /// <exception cref="InvalidDataException">The metadata does not parse.</exception>
    public static (string QueueId, int JsonLength) ReadAcceptedFixedPart(ReadOnlySpan<byte> fixedPart)
    {
        int idLength = fixedPart[0];
        var queueId = Encoding.ASCII.GetString(fixedPart.Slice(1, idLength));
        var jsonLength = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[(1 + idLength)..]);
        if (jsonLength > MaxPayloadLength)
        {
            throw new InvalidDataException($"Accepted record for {queueId} claims {jsonLength} bytes of envelope.");
        }

        return (queueId, (int)jsonLength);
    }

    public static Envelope ReadEnvelope(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, SpoolJsonContext.Default.Envelope)
        ?? throw new InvalidDataException("Accepted record holds a null envelope.");

    /// <exception cref="InvalidDataException">The payload does not parse.</exception>
    public static (string QueueId, RecipientOutcome Outcome, int[] RecipientIndexes) ReadFinished(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1 || payload.Length < 1 + payload[0] + 5)
        {
            throw new InvalidDataException("Finished record is too short.");
        }

        int idLength = payload[0];
        var queueId = Encoding.ASCII.GetString(payload.Slice(1, idLength));
        var position = 1 + idLength;
        var outcome = (RecipientOutcome)payload[position++];
        var count = BinaryPrimitives.ReadUInt32LittleEndian(payload[position..]);
        position += 4;
        if (count > (uint)(payload.Length - position) / 4)
        {
            throw new InvalidDataException($"Finished record for {queueId} claims {count} recipients but is {payload.Length} bytes.");
        }

        var indexes = new int[count];
        for (var i = 0; i < indexes.Length; i++, position += 4)
        {
            indexes[i] = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(payload[position..]), int.MaxValue);
        }

        return (queueId, outcome, indexes);
    }
}
