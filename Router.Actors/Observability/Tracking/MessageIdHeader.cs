using System.Buffers;
using System.Text;

namespace Router.Actors.Observability.Tracking;

/// <summary>Reads the Message-ID header field of a message as received, for the tracking log.</summary>
public static class MessageIdHeader
{
    private const int MaxLength = 998;

    private static ReadOnlySpan<byte> Name => "message-id"u8;

    /// <summary>
    /// The value of the first Message-ID field of the header section (up to the first empty line),
    /// unfolded and trimmed, at most 998 characters; null when there is none.
    /// </summary>
    public static string? Find(ReadOnlySequence<byte> message)
    {
        var reader = new SequenceReader<byte>(message);
        StringBuilder? value = null;
        while (!reader.End)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                line = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }

            var text = Latin1(line);
            if (text.Length == 0)
                break;
            if (value is not null)
            {
                // Continuation lines start with white space; anything else ends the field.
                if (text[0] is not (' ' or '\t'))
                    break;
                value.Append(' ').Append(text.Trim());
                continue;
            }

            var colon = text.IndexOf(':');
            if (colon == Name.Length && Ascii.EqualsIgnoreCase(text.AsSpan(0, colon), "message-id"))
                value = new StringBuilder(text[(colon + 1)..].Trim());
        }

        if (value is null)
            return null;
        var result = value.ToString().Trim();
        return result.Length == 0 ? null : result.Length > MaxLength ? result[..MaxLength] : result;
    }

    /// <summary>A header line without its line ending, bytes as Latin-1 (a Message-ID is ASCII; nothing is lost).</summary>
    private static string Latin1(ReadOnlySequence<byte> line)
    {
        var length = line.Length;
        if (length > 0 && line.Slice(length - 1).FirstSpan[0] == (byte)'\r')
            line = line.Slice(0, length - 1);
        // Long lines are cut: only the start of a field is needed to recognise it.
        if (line.Length > 4 * MaxLength)
            line = line.Slice(0, 4 * MaxLength);
        return Encoding.Latin1.GetString(line);
    }
}
