namespace Router.Actors.Delivery.Dsn;

/// <summary>The part of the original message a DSN carries: its header section, or all of it.</summary>
/// <param name="Content">The bytes to attach, CRLF line endings throughout.</param>
/// <param name="IsWholeMessage">True for message/rfc822, false for text/rfc822-headers.</param>
internal sealed record ReturnedOriginal(byte[] Content, bool IsWholeMessage)
{
    /// <summary>
    /// A header section larger than this is cut at a line end. The SMTP edge caps messages, not
    /// headers, and a message without an empty line is all header section.
    /// </summary>
    public const int MaxHeaderSectionBytes = 256 * 1024;

    private const int ChunkBytes = 16 * 1024;

    /// <summary>
    /// Reads from the current position of <paramref name="original"/> only as far as needed: to the end
    /// of the header section, or, when the whole message is wanted, to one byte past
    /// <paramref name="maxWholeBytes"/> (after which the header section is returned instead).
    /// </summary>
    public static ReturnedOriginal Read(Stream original, bool wantWhole, long maxWholeBytes)
    {
        var buffer = new byte[ChunkBytes];
        var length = 0;
        var scanFrom = 0;
        var headerEnd = -1;
        var eof = false;
        while (true)
        {
            if (headerEnd < 0)
                headerEnd = FindHeaderEnd(buffer, length, eof, ref scanFrom);
            var headersDone = headerEnd >= 0 || length >= MaxHeaderSectionBytes || eof;
            var wholeDone = !wantWhole || eof || length > maxWholeBytes;
            if (headersDone && wholeDone)
                break;

            if (buffer.Length - length < ChunkBytes)
                Array.Resize(ref buffer, buffer.Length * 2);
            var read = original.Read(buffer, length, ChunkBytes);
            if (read == 0)
                eof = true;
            length += read;
        }

        if (wantWhole && eof && length <= maxWholeBytes)
            return new ReturnedOriginal(LineEndings.ToCrlf(buffer.AsSpan(0, length), mustEndWithNewLine: false), true);

        var headerLength = headerEnd >= 0 ? headerEnd : HeaderSectionWithoutEmptyLine(buffer, length, eof);
        return new ReturnedOriginal(LineEndings.ToCrlf(buffer.AsSpan(0, headerLength), mustEndWithNewLine: headerLength > 0), false);
    }

    /// <summary>
    /// Index of the empty line that ends the header section (an empty line starts the message or
    /// follows an LF, and is CRLF or a bare LF), or -1 if it is not in the bytes read so far.
    /// </summary>
    private static int FindHeaderEnd(byte[] buffer, int length, bool eof, ref int scanFrom)
    {
        for (var i = scanFrom; i < length; i++)
        {
            if (i > 0 && buffer[i - 1] != (byte)'\n')
                continue;
            if (buffer[i] == (byte)'\n')
                return i;
            if (buffer[i] != (byte)'\r')
                continue;
            if (i + 1 < length)
            {
                if (buffer[i + 1] == (byte)'\n')
                    return i;
                continue;
            }
            if (!eof)
            {
                // A CR at the end of what was read: the next read says whether an LF follows.
                scanFrom = i;
                return -1;
            }
        }
        scanFrom = length;
        return -1;
    }

    /// <summary>Without an empty line, the header section is everything read, cut at a line end if capped.</summary>
    private static int HeaderSectionWithoutEmptyLine(byte[] buffer, int length, bool eof)
    {
        if (eof && length <= MaxHeaderSectionBytes)
            return length;
        var capped = Math.Min(length, MaxHeaderSectionBytes);
        var lastLf = Array.LastIndexOf(buffer, (byte)'\n', capped - 1, capped);
        return lastLf >= 0 ? lastLf + 1 : capped;
    }
}
