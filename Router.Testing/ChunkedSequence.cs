using System.Buffers;

namespace Router.Testing;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>, as SmtpServer hands over a message body.</summary>
public static class ChunkedSequence
{
    public static ReadOnlySequence<byte> Of(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Chunk(chunks[0], 0);
        var last = first;
        foreach (var chunk in chunks.Skip(1))
        {
            last = last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Splits <paramref name="data"/> into chunks of the given sizes, cycling through them.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] sizes)
    {
        var chunks = new List<byte[]>();
        var offset = 0;
        for (var i = 0; offset < data.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            chunks.Add(data.AsSpan(offset, size).ToArray());
            offset += size;
        }

        return Of([.. chunks]);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
