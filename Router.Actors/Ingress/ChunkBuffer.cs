using System.Buffers;
using Router.Actors.Buffers;

namespace Router.Actors.Ingress;

/// <summary>
/// The octets of one transaction's BDAT chunks (RFC 3030), dot-stuffed as they arrive, so that after the last chunk
/// the SMTP library can be handed them as the DATA it knows: <c>DATA</c>, the stuffed content, a CRLF if the content
/// does not end with one, one more CRLF, and the final <c>.</c>. The library unstuffs <c>CRLF..</c> and hands its store
/// the content without the CRLF before the dot, which is the added one: the spool stores the chunks' octets whole, the
/// final CRLF and any empty lines before it included (as the DATA path stores its content, see GuardedReader), with a
/// final CRLF added only where the last chunk lacked one. The first line is not stuffed: the library
/// unstuffs only after a CRLF, and a dot there cannot be taken for the end of the data (that needs CRLF before it).
/// Kept in segments of at most 64 KiB (none on the large-object heap); charged to the in-flight budget like DATA.
/// </summary>
public sealed class ChunkBuffer
{
    private const int FirstSegment = 4096;
    private const int MaxSegment = 64 * 1024;
    private static readonly byte[] DataLine = "DATA\r\n"u8.ToArray();

    private readonly List<byte[]> _segments = [];
    private int _used;
    // The octets so far end with CRLF (a dot next starts a line); false at the start, see above.
    private bool _atLineStart;
    private bool _afterCr;
    private bool _finished;

    /// <summary>The octets received, as the chunks carried them.</summary>
    public long Length { get; private set; }

    /// <summary>The octets held (stuffed), what the in-flight budget is charged.</summary>
    public long Buffered { get; private set; }

    public void Append(ReadOnlySequence<byte> octets)
    {
        foreach (var memory in octets)
            Append(memory.Span);
    }

    public void Append(ReadOnlySpan<byte> octets)
    {
        if (_finished)
            throw new InvalidOperationException("the message was handed over already");
        if (octets.IsEmpty)
            return;
        Length += octets.Length;
        var start = 0;
        if (_atLineStart && octets[0] == (byte)'.')
            Write("."u8);
        var from = 0;
        while (true)
        {
            var lf = octets[from..].IndexOf((byte)'\n');
            if (lf < 0)
                break;
            lf += from;
            var crBefore = lf > 0 ? octets[lf - 1] == (byte)'\r' : _afterCr;
            if (crBefore && lf + 1 < octets.Length && octets[lf + 1] == (byte)'.')
            {
                // RFC 5321 §4.5.2: a line that starts with a dot gets another.
                Write(octets[start..(lf + 2)]);
                Write("."u8);
                start = lf + 2;
            }
            from = lf + 1;
        }
        Write(octets[start..]);
        var last = octets[^1];
        _atLineStart = last == (byte)'\n' && (octets.Length > 1 ? octets[^2] == (byte)'\r' : _afterCr);
        _afterCr = last == (byte)'\r';
    }

    /// <summary>
    /// What the library reads: the DATA line, then the stuffed content and its end. The buffer takes no more octets;
    /// the segments stay valid as long as the sequence is referenced (the spool writes from them without a copy).
    /// </summary>
    public ReadOnlySequence<byte> HandOver()
    {
        if (!_finished)
        {
            // An empty message stays empty (as DATA's does); any other gets its last line ended.
            if (!_atLineStart && Length > 0)
                Write("\r\n"u8);
            // The library takes the CRLF before the dot as part of the end: this one, not the content's own.
            Write("\r\n.\r\n"u8);
            _finished = true;
        }
        var first = new MemorySegment(DataLine, 0);
        var last = first;
        for (var i = 0; i < _segments.Count; i++)
            last = last.Append(_segments[i].AsMemory(0, i == _segments.Count - 1 ? _used : _segments[i].Length));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private void Write(ReadOnlySpan<byte> octets)
    {
        while (!octets.IsEmpty)
        {
            if (_segments.Count == 0 || _used == _segments[^1].Length)
            {
                _segments.Add(new byte[Math.Min(MaxSegment, FirstSegment << Math.Min(_segments.Count, 4))]);
                _used = 0;
            }
            var n = Math.Min(octets.Length, _segments[^1].Length - _used);
            octets[..n].CopyTo(_segments[^1].AsSpan(_used));
            _used += n;
            Buffered += n;
            octets = octets[n..];
        }
    }
}
