using System.Buffers;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// A BDAT command line (RFC 3030 §2): <c>BDAT SP chunk-size [SP "LAST"]</c>. The SMTP library does not know BDAT (its
/// state table and parser are internal), so <see cref="GuardedReader"/> takes these lines before the library sees them,
/// reads each chunk itself and hands the library the whole message as DATA after the last one.
/// </summary>
/// <param name="Size">The chunk's octets, which follow the line's CRLF at once.</param>
/// <param name="Last">The chunk ends the message.</param>
public sealed record BdatCommand(long Size, bool Last)
{
    /// <summary>More digits than this cannot be a size any limit admits (and would not fit a long).</summary>
    private const int MaxSizeDigits = 18;

    /// <summary>Whether <paramref name="line"/> (without its CRLF) is a BDAT command, well formed or not.</summary>
    public static bool Is(ReadOnlySequence<byte> line)
    {
        if (line.Length < 4 || !StartsWith(line))
            return false;
        if (line.Length == 4)
            return true;
        Span<byte> next = stackalloc byte[1];
        line.Slice(4, 1).CopyTo(next);
        return next[0] is (byte)' ' or (byte)'\t';
    }

    private static bool StartsWith(ReadOnlySequence<byte> line)
    {
        Span<byte> head = stackalloc byte[4];
        line.Slice(0, 4).CopyTo(head);
        return System.Text.Ascii.EqualsIgnoreCase(head, "BDAT"u8);
    }

    /// <summary>The command, or null when its arguments are malformed (501 5.5.4).</summary>
    public static BdatCommand? Parse(ReadOnlySequence<byte> line)
    {
        if (line.Length > 128)
            return null;
        var words = System.Text.Encoding.ASCII.GetString(line.ToArray()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is < 2 or > 3 || !words[0].Equals("BDAT", StringComparison.OrdinalIgnoreCase))
            return null;
        var digits = words[1].TrimStart('0');
        if (words[1].Length == 0 || !words[1].All(char.IsAsciiDigit) || digits.Length > MaxSizeDigits)
            return null;
        if (words.Length == 3 && !words[2].Equals("LAST", StringComparison.OrdinalIgnoreCase))
            return null;
        var size = digits.Length == 0 ? 0 : long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        return new BdatCommand(size, words.Length == 3);
    }
}

/// <summary>The replies of CHUNKING (RFC 3030) at the edge, with their RFC 3463 enhanced codes.</summary>
public static class ChunkingReplies
{
    /// <summary>RFC 3030 §2: each chunk but the last is answered with 250 once its octets are in.</summary>
    public static string Received(long size) => $"250 2.0.0 {size} octets received";

    public const string Syntax = "501 5.5.4 Syntax: BDAT <chunk-size> [LAST]";

    /// <summary>RFC 3030 §2: BDAT needs a transaction, as DATA does; the chunk's octets are read and dropped.</summary>
    public const string NoTransaction = "503 5.5.1 Bad sequence of commands: BDAT needs MAIL FROM and an accepted RCPT TO first";

    /// <summary>RFC 3030 §2: DATA and BDAT may not be mixed in one transaction; the client must RSET.</summary>
    public const string Mixed = "503 5.5.1 Bad sequence of commands: DATA and BDAT cannot be mixed in one transaction, send RSET";

    public static string MessageTooBig(long max) => Line(SmtpReplies.MessageTooBig(max));

    public static string InflightFull => Line(LimitReplies.InflightFull);

    private static string Line(SmtpResponse response) => $"{(int)response.ReplyCode} {response.Message}";
}
