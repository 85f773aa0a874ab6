using System.Buffers;

namespace Router.Actors.Peers;

/// <summary>Joins received chunks into one <see cref="ReadOnlySequence{T}"/> without copying them.</summary>
internal static class ChunkSequence
{
    public static ReadOnlySequence<byte> Of(IReadOnlyList<byte[]> chunks)
    {
        var parts = chunks.Where(c => c.Length > 0).ToList();
        if (parts.Count == 0)
            return ReadOnlySequence<byte>.Empty;
        if (parts.Count == 1)
            return new ReadOnlySequence<byte>(parts[0]);
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
            last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
