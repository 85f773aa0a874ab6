using System.Buffers;

namespace Router.Actors.Buffers;

/// <summary>
/// One link of a <see cref="ReadOnlySequence{T}"/> made of pieces of memory that are not copied (received chunks, a
/// header before a body, octets handed to the SMTP library): start with one, <see cref="Append"/> the next.
/// </summary>
internal sealed class MemorySegment : ReadOnlySequenceSegment<byte>
{
    public MemorySegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public MemorySegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new MemorySegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
