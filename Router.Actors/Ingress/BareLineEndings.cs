using System.Buffers;

namespace Router.Actors.Ingress;

/// <summary>
/// SMTP smuggling protection. The listener ends DATA only at CRLF.CRLF, but it stores bare CR, bare
/// LF and NUL bytes as received, and the egress passes a bare CR on unchanged: a downstream server
/// that ends DATA at another sequence (LF.LF, CR.CR …) would read the rest as a second message.
/// Such messages are refused with 550 5.6.0, or, when configured, normalised to CRLF before storing.
/// </summary>
public static class BareLineEndings
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const byte Nul = 0;

    /// <summary>What is wrong with the message's line endings, or null when every line ends with CRLF.</summary>
    public static string? Find(ReadOnlySequence<byte> message)
    {
        var pendingCr = false;
        foreach (var memory in message)
        {
            var span = memory.Span;
            var i = 0;
            if (pendingCr && span.Length > 0)
            {
                if (span[0] != Lf)
                    return "bare CR";
                pendingCr = false;
                i = 1;
            }
            while (i < span.Length)
            {
                var found = span[i..].IndexOfAny(Cr, Lf, Nul);
                if (found < 0)
                    break;
                var j = i + found;
                switch (span[j])
                {
                    case Nul:
                        return "NUL";
                    case Lf:
                        return "bare LF";
                }
                if (j + 1 == span.Length)
                {
                    pendingCr = true;
                    i = j + 1;
                }
                else if (span[j + 1] != Lf)
                    return "bare CR";
                else
                    i = j + 2;
            }
        }
        // A last CR stands alone: DATA content ends with CRLF, and BDAT content handed over lacks only a final CRLF.
        return pendingCr ? "bare CR" : null;
    }

    /// <summary>A copy with every bare CR and bare LF made CRLF and NUL bytes dropped.</summary>
    public static byte[] Normalize(ReadOnlySequence<byte> message)
    {
        var source = message.ToArray();
        var output = new ArrayBufferWriter<byte>(source.Length + 64);
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            switch (b)
            {
                case Nul:
                    continue;
                case Cr:
                    output.Write("\r\n"u8);
                    if (i + 1 < source.Length && source[i + 1] == Lf)
                        i++;
                    continue;
                case Lf:
                    output.Write("\r\n"u8);
                    continue;
                default:
                    output.GetSpan(1)[0] = b;
                    output.Advance(1);
                    continue;
            }
        }
        return output.WrittenSpan.ToArray();
    }
}
