using System.Buffers;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// The bytes a peer transfer sends: the envelope's JSON, then the stored body. Read at any offset, so
/// the receiver can pull it in chunks. In memory (ingress: the client's buffer, before it is released)
/// or from the spool (a queued message, read from its segment file as the chunks are asked for).
/// </summary>
public sealed class TransferPayload : IDisposable
{
    private readonly byte[] _envelope;
    private readonly ReadOnlySequence<byte> _body;
    private readonly Stream? _stream;

    private TransferPayload(byte[] envelope, ReadOnlySequence<byte> body, Stream? stream, long bodyLength)
    {
        _envelope = envelope;
        _body = body;
        _stream = stream;
        BodyLength = bodyLength;
    }

    public int EnvelopeLength => _envelope.Length;

    public long BodyLength { get; }

    public long Length => _envelope.Length + BodyLength;

    /// <summary>Over bytes in memory; they must stay valid until the transfer ends.</summary>
    public static TransferPayload FromMemory(byte[] envelopeJson, ReadOnlySequence<byte> body) =>
        new(envelopeJson, body, null, body.Length);

    /// <summary>Over a seekable stream of the body, which the payload disposes of.</summary>
    public static TransferPayload FromStream(byte[] envelopeJson, Stream body) =>
        new(envelopeJson, default, body, body.Length);

    /// <summary>Copies up to <paramref name="count"/> bytes from <paramref name="offset"/>; fewer only at the end.</summary>
    public byte[] Read(long offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var length = (int)Math.Clamp(Length - offset, 0, count);
        var chunk = new byte[length];
        var filled = 0;
        if (offset < _envelope.Length)
        {
            var fromEnvelope = Math.Min(length, _envelope.Length - (int)offset);
            _envelope.AsSpan((int)offset, fromEnvelope).CopyTo(chunk);
            filled = fromEnvelope;
        }

        if (filled == length)
            return chunk;
        var bodyOffset = offset + filled - _envelope.Length;
        if (_stream is null)
        {
            _body.Slice(bodyOffset, length - filled).CopyTo(chunk.AsSpan(filled));
        }
        else
        {
            _stream.Position = bodyOffset;
            _stream.ReadExactly(chunk, filled, length - filled);
        }

        return chunk;
    }

    public void Dispose() => _stream?.Dispose();
}
