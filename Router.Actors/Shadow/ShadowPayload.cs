using System.Buffers;

namespace Router.Actors.Shadow;

/// <summary>The stored bytes of a message at the edge (our Received header, then the client's data) as one sequence, without a copy.</summary>
internal static class ShadowPayload
{
    public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body)
    {
        if (prefix.IsEmpty)
            return body;
        var first = new Segment(prefix, 0);
        var last = first;
        foreach (var memory in body)
        {
            if (!memory.IsEmpty)
                last = last.Append(memory);
        }

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
