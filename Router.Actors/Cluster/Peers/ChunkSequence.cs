using System.Buffers;
using Router.Actors.Buffers;

namespace Router.Actors.Cluster.Peers;

/// <summary>Joins pieces of memory (received chunks; a header before a body) into one <see cref="ReadOnlySequence{T}"/> without copying them.</summary>
internal static class ChunkSequence
{
    public static ReadOnlySequence<byte> Of(IEnumerable<byte[]> chunks) => Of(chunks.Select(c => (ReadOnlyMemory<byte>)c));

    /// <summary><paramref name="prefix"/> followed by <paramref name="body"/>.</summary>
    public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body) =>
        prefix.IsEmpty ? body : Of(Enumerable.Repeat(prefix, 1).Concat(Parts(body)));

    public static ReadOnlySequence<byte> Of(IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        var parts = pieces.Where(c => !c.IsEmpty).ToList();
        if (parts.Count == 0)
            return ReadOnlySequence<byte>.Empty;
        if (parts.Count == 1)
            return new ReadOnlySequence<byte>(parts[0]);
        var first = new MemorySegment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
            last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Parts(ReadOnlySequence<byte> body)
    {
        foreach (var memory in body)
            yield return memory;
    }
}
