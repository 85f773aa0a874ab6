using System.Buffers;
using System.Text;
using CsCheck;
using Router.Actors.Ingress;

namespace Router.Tests.Ingress;

/// <summary>
/// The BDAT chunks handed to the SMTP library as DATA: what the library makes of them (its unstuffing and its end of
/// data, mirrored here from SmtpServer's PipeReaderExtensions.ReadDotBlockAsync) is the chunks' octets, however split.
/// </summary>
public sealed class ChunkBufferTests
{
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

    /// <summary>As SmtpServer: the DATA line read, the first CRLF.CRLF ends the data, CRLF.. becomes CRLF. (not at the very start).</summary>
    private static byte[] AsTheLibraryReads(ReadOnlySequence<byte> handed)
    {
        var all = handed.ToArray();
        Assert.Equal("DATA\r\n"u8.ToArray(), all[..6]);
        var data = all[6..];
        var end = data.AsSpan().IndexOf(EndOfData);
        Assert.True(end >= 0, "no end of data");
        Assert.Equal(data.Length - EndOfData.Length, end);
        var content = data[..end];
        var output = new List<byte>(content.Length);
        for (var i = 0; i < content.Length; i++)
        {
            output.Add(content[i]);
            if (i >= 2 && content[i] == '.' && content[i - 1] == '\n' && content[i - 2] == '\r' && i + 1 < content.Length && content[i + 1] == '.')
                i++;
        }
        return [.. output];
    }

    [Fact]
    public void Dot_lines_cr_lf_and_dots_in_any_split_come_back_as_sent()
    {
        var alphabet = "\r\n.a"u8.ToArray();
        Gen.Select(Gen.Int[0, 3].Array[0, 60], Gen.Int[1, 7].Array[1, 8]).Sample((picks, cuts) =>
        {
            var octets = picks.Select(p => alphabet[p]).ToArray();
            var buffer = new ChunkBuffer();
            var at = 0;
            foreach (var cut in cuts.Concat(Enumerable.Repeat(7, 60)))
            {
                var n = Math.Min(cut, octets.Length - at);
                buffer.Append(octets.AsSpan(at, n));
                at += n;
                if (at == octets.Length)
                    break;
            }
            // Whole, the final CRLF and empty lines before it included; a CRLF added where the chunks lacked one.
            var endsWithCrLf = octets.Length >= 2 && octets[^2] == '\r' && octets[^1] == '\n';
            var expected = octets.Length == 0 || endsWithCrLf ? octets : [.. octets, (byte)'\r', (byte)'\n'];
            Assert.Equal(octets.Length, buffer.Length);
            Assert.Equal(expected, AsTheLibraryReads(buffer.HandOver()));
        }, iter: 20000);
    }

    [Fact]
    public void A_large_message_spans_segments_and_is_charged_what_it_holds()
    {
        var line = Encoding.ASCII.GetBytes(".line that starts with a dot, and is repeated\r\n");
        var buffer = new ChunkBuffer();
        for (var i = 0; i < 10000; i++)
            buffer.Append(line);
        var handed = buffer.HandOver();
        Assert.False(handed.IsSingleSegment);
        // Every line but the first gets a second dot; then "\r\n.\r\n" ends it (the library takes that CRLF, not the content's), after the DATA line.
        Assert.Equal(line.Length * 10000L + 9999 + 5, buffer.Buffered);
        Assert.Equal(6 + buffer.Buffered, handed.Length);
        var read = AsTheLibraryReads(handed);
        Assert.Equal(line.Length * 10000, read.Length);
    }

    [Theory]
    [InlineData("BDAT 10", 10L, false)]
    [InlineData("bdat 0 last", 0L, true)]
    [InlineData("BDAT  007   LAST", 7L, true)]
    [InlineData("BDAT 999999999999999999 LAST", 999999999999999999L, true)]
    public void Bdat_lines_parse(string line, long size, bool last)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(line));
        Assert.True(BdatCommand.Is(sequence));
        Assert.Equal(new BdatCommand(size, last), BdatCommand.Parse(sequence));
    }

    [Theory]
    [InlineData("BDAT")]
    [InlineData("BDAT x")]
    [InlineData("BDAT -1")]
    [InlineData("BDAT 10 FIRST")]
    [InlineData("BDAT 10 LAST more")]
    [InlineData("BDAT 1000000000000000000")]
    public void Malformed_bdat_lines_are_bdat_but_do_not_parse(string line)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(line));
        Assert.True(BdatCommand.Is(sequence));
        Assert.Null(BdatCommand.Parse(sequence));
    }

    [Theory]
    [InlineData("BDATA 1")]
    [InlineData("DATA")]
    [InlineData("BDA")]
    public void Other_lines_are_not_bdat(string line) =>
        Assert.False(BdatCommand.Is(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(line))));
}
