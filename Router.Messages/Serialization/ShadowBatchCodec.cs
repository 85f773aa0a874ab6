using System.Runtime.Serialization;
using System.Text;
using Router.Messages.Cluster;

namespace Router.Messages.Serialization;

/// <summary>
/// The wire form of a <see cref="ShadowBatch"/>: binary, because it is almost all message bytes, which JSON would carry
/// as base64 (a third larger, encoded and decoded on the hot path of every accepted message). Layout (little-endian):
/// version byte 1; owner (length-prefixed UTF-8); batch id (int64); copy count (int32); per copy: queue id
/// (length-prefixed UTF-8), traceparent (length-prefixed UTF-8, empty when none), envelope length (int32) and bytes,
/// body length (int32) and bytes. A node that reads another version refuses the batch (the owner's copies time out
/// and it tries another peer), as for any unknown message.
/// </summary>
public static class ShadowBatchCodec
{
    private const byte Version = 1;

    public static byte[] Encode(ShadowBatch batch)
    {
        var size = 64 + Encoding.UTF8.GetMaxByteCount(batch.Owner.Length);
        foreach (var copy in batch.Copies)
            size += 64 + copy.QueueId.Length * 3 + (copy.TraceParent?.Length ?? 0) * 3 + copy.Envelope.Length + copy.Body.Length;
        using var stream = new MemoryStream(size);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(batch.Owner);
            writer.Write(batch.BatchId);
            writer.Write(batch.Copies.Count);
            foreach (var copy in batch.Copies)
            {
                writer.Write(copy.QueueId);
                writer.Write(copy.TraceParent ?? string.Empty);
                writer.Write(copy.Envelope.Length);
                writer.Write(copy.Envelope);
                writer.Write(copy.Body.Length);
                writer.Write(copy.Body);
            }
        }

        return stream.Length == stream.Capacity ? stream.GetBuffer() : stream.ToArray();
    }

    /// <exception cref="SerializationException">The bytes are not a batch of this version.</exception>
    public static ShadowBatch Decode(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var version = reader.ReadByte();
            if (version != Version)
                throw new SerializationException($"shadow batch version {version} (this node reads {Version})");
            var owner = reader.ReadString();
            var batchId = reader.ReadInt64();
            var count = reader.ReadInt32();
            if (count < 0 || count > bytes.Length)
                throw new SerializationException($"shadow batch of {count} copies in {bytes.Length} bytes");
            var copies = new ShadowCopy[count];
            for (var i = 0; i < count; i++)
            {
                var queueId = reader.ReadString();
                var traceParent = reader.ReadString();
                var envelope = ReadBytes(reader);
                var body = ReadBytes(reader);
                copies[i] = new ShadowCopy(queueId, envelope, body) { TraceParent = traceParent.Length == 0 ? null : traceParent };
            }

            if (reader.BaseStream.Position != bytes.Length)
                throw new SerializationException($"shadow batch has {bytes.Length - reader.BaseStream.Position} bytes after its last copy");
            return new ShadowBatch(owner, batchId, copies);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or DecoderFallbackException)
        {
            throw new SerializationException($"shadow batch is malformed: {e.Message}", e);
        }
    }

    /// <summary>
    /// The holder's answer on the socket path (<c>ShadowSocketServer</c>): version byte 1, batch id (int64), failed count
    /// (int32) and ids (length-prefixed UTF-8), then whether there is an error (byte 0/1) and the error.
    /// </summary>
    public static byte[] EncodeStored(ShadowBatchStored stored)
    {
        using var stream = new MemoryStream(32 + stored.Failed.Sum(id => id.Length * 3 + 5) + (stored.Error?.Length ?? 0) * 3);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(stored.BatchId);
            writer.Write(stored.Failed.Count);
            foreach (var id in stored.Failed)
                writer.Write(id);
            writer.Write(stored.Error is not null);
            if (stored.Error is not null)
                writer.Write(stored.Error);
        }

        return stream.ToArray();
    }

    /// <exception cref="SerializationException">The bytes are not an answer of this version.</exception>
    public static ShadowBatchStored DecodeStored(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var version = reader.ReadByte();
            if (version != Version)
                throw new SerializationException($"shadow answer version {version} (this node reads {Version})");
            var batchId = reader.ReadInt64();
            var count = reader.ReadInt32();
            if (count < 0 || count > bytes.Length)
                throw new SerializationException($"shadow answer of {count} ids in {bytes.Length} bytes");
            var failed = new string[count];
            for (var i = 0; i < count; i++)
                failed[i] = reader.ReadString();
            var error = reader.ReadBoolean() ? reader.ReadString() : null;
            if (reader.BaseStream.Position != bytes.Length)
                throw new SerializationException($"shadow answer has {bytes.Length - reader.BaseStream.Position} bytes after its end");
            return new ShadowBatchStored(batchId, failed, error);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or DecoderFallbackException)
        {
            throw new SerializationException($"shadow answer is malformed: {e.Message}", e);
        }
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new SerializationException($"shadow batch: a field of {length} bytes runs past the end");
        return reader.ReadBytes(length);
    }
}
