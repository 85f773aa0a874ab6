using System.Buffers;
using System.Text;

namespace Router.Actors.Delivery.Dsn;

/// <summary>
/// Counts Received: header fields, the hop count RFC 5321 §6.3 uses to detect mail loops
/// (past the limit the message is bounced with 5.4.6).
/// </summary>
public static class LoopDetector
{
    private static ReadOnlySpan<byte> Received => "received"u8;

    /// <summary>
    /// Counts the Received: fields of the header section of <paramref name="message"/> (up to the first
    /// empty line; continuation lines are part of the field above them). Returns as soon as the count
    /// exceeds <paramref name="stopAfter"/>, so the result is at most <paramref name="stopAfter"/> + 1.
    /// </summary>
    public static int CountReceivedHeaders(ReadOnlySequence<byte> message, int stopAfter)
    {
        var reader = new SequenceReader<byte>(message);
        var count = 0;
        while (!reader.End)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                // The last line has no LF: take the rest.
                line = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }

            if (IsEmptyLine(line))
                break;
            if (IsReceivedField(line) && ++count > stopAfter)
                break;
        }
        return count;
    }

    private static bool IsEmptyLine(ReadOnlySequence<byte> line) =>
        line.IsEmpty || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r');

    /// <summary>
    /// True for a line that starts a field named Received (any case). RFC 5322's obsolete syntax allows
    /// white space before the colon; a continuation line starts with white space and never matches.
    /// </summary>
    private static bool IsReceivedField(ReadOnlySequence<byte> line)
    {
        // Enough for the name, some white space and the colon, copied out in case the line spans segments.
        Span<byte> start = stackalloc byte[32];
        var length = (int)Math.Min(line.Length, start.Length);
        line.Slice(0, length).CopyTo(start);
        start = start[..length];

        if (start.Length <= Received.Length || !Ascii.EqualsIgnoreCase(start[..Received.Length], Received))
            return false;
        foreach (var b in start[Received.Length..])
        {
            if (b == (byte)':')
                return true;
            if (b != (byte)' ' && b != (byte)'\t')
                return false;
        }
        return false;
    }
}
