using System.Buffers.Binary;
using System.Net.Sockets;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The framing of the shadow socket path (<see cref="ShadowSocketServer"/>, <see cref="ShadowSocketLink"/>). The owner
/// opens with <see cref="Hello"/> and the holder's token (16 bytes); the holder answers one byte, <see cref="Accepted"/>,
/// or closes. Then each way a sequence of frames: length (int32, little-endian) and that many bytes, a
/// <c>ShadowBatchCodec</c> batch from the owner, its answer from the holder, one answer per batch in order.
/// Blocking calls: each side reads on a thread of its own.
/// </summary>
internal static class ShadowSocketFrames
{
    /// <summary>"RSH" and the version of this framing.</summary>
    public static ReadOnlySpan<byte> Hello => "RSH\u0001"u8;

    public const int TokenBytes = 16;

    public const byte Accepted = 1;

    /// <summary>Largest frame either side takes: a batch stays under <see cref="ShadowLinkActor.MaxBatchBytes"/> plus one copy.</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    /// <summary>Sends <paramref name="payload"/> as one frame, header and bytes in one call.</summary>
    public static void Write(Socket socket, byte[] payload)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        var sent = socket.Send([new ArraySegment<byte>(header), new ArraySegment<byte>(payload)]);
        if (sent != payload.Length + 4)
            throw new SocketException((int)SocketError.ConnectionAborted);
    }

    /// <summary>The next frame, or null when the peer closed the connection between frames.</summary>
    /// <exception cref="IOException">A frame too large, or a connection closed inside a frame.</exception>
    public static byte[]? Read(Socket socket)
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReadExactly(socket, header, endAllowed: true))
            return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is <= 0 or > MaxFrameBytes)
            throw new IOException($"a shadow frame of {length} bytes (at most {MaxFrameBytes})");
        var payload = new byte[length];
        ReadExactly(socket, payload, endAllowed: false);
        return payload;
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the connection ended before its first byte and <paramref name="endAllowed"/>.</summary>
    public static bool ReadExactly(Socket socket, Span<byte> buffer, bool endAllowed)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = socket.Receive(buffer[read..]);
            if (n == 0)
                return read == 0 && endAllowed ? false : throw new IOException("the connection closed inside a shadow frame");
            read += n;
        }

        return true;
    }
}
