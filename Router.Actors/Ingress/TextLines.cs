using System.Buffers;

namespace Router.Actors.Ingress;

/// <summary>Finds a text line of message data longer than the limit (RFC 5321 §4.5.3.1.6 counts the CRLF).</summary>
public static class TextLines
{
    /// <summary>Whether some line of <paramref name="data"/>, its CRLF included, is longer than <paramref name="max"/> bytes.</summary>
    public static bool HasLineLongerThan(ReadOnlySequence<byte> data, int max)
    {
        // Lines end at LF; the length counted includes the CR before it. A last line without its
        // CRLF (the end-of-data marker supplied it) counts as if it had one.
        long run = 0;
        foreach (var memory in data)
        {
            var span = memory.Span;
            while (!span.IsEmpty)
            {
                var lf = span.IndexOf((byte)'\n');
                if (lf < 0)
                {
                    run += span.Length;
                    if (run + 2 > max)
                        return true;
                    break;
                }
                if (run + lf + 1 > max)
                    return true;
                run = 0;
                span = span[(lf + 1)..];
            }
        }
        return false;
    }
}
