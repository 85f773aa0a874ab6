using System.Buffers;
using System.Text;
using Router.Actors.Delivery.Dsn;

using Router.Testing;

namespace Router.Tests.Delivery.Dsn;

public sealed class LoopDetectorTests
{
    private const string Message =
        "Received: from a.example by relay.example;\r\n" +
        "\tReceived: a continuation line, not a field\r\n" +
        "RECEIVED: from b.example by a.example;\r\n" +
        " Tue, 3 Jun 2025 10:00:00 +0000\r\n" +
        "X-Received: not this one\r\n" +
        "Subject: Received: nor this\r\n" +
        "received\t: obsolete syntax, white space before the colon\r\n" +
        "Receivedx: another name\r\n" +
        "\r\n" +
        "Received: in the body, not a header\r\n";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Counts_received_fields_of_the_header_section_whatever_the_segment_size(int segmentSize)
    {
        var sequence = Segmented(Encoding.ASCII.GetBytes(Message), segmentSize);

        Assert.Equal(3, LoopDetector.CountReceivedHeaders(sequence, stopAfter: 100));
    }

    [Fact]
    public void Stops_once_the_count_passes_the_limit()
    {
        var headers = string.Concat(Enumerable.Repeat("Received: from x by y\r\n", 10));
        var sequence = Segmented(Encoding.ASCII.GetBytes(headers + "\r\nbody\r\n"), 4);

        Assert.Equal(5, LoopDetector.CountReceivedHeaders(sequence, stopAfter: 4));
        Assert.Equal(10, LoopDetector.CountReceivedHeaders(sequence, stopAfter: 10));
    }

    [Fact]
    public void A_bare_lf_empty_line_ends_the_header_section()
    {
        var sequence = Segmented(Encoding.ASCII.GetBytes("Received: a\nReceived: b\n\nReceived: c\n"), 3);

        Assert.Equal(2, LoopDetector.CountReceivedHeaders(sequence, stopAfter: 100));
    }

    [Fact]
    public void A_message_without_an_empty_line_is_all_header_section()
    {
        var sequence = Segmented(Encoding.ASCII.GetBytes("Received: a\r\nReceived: b"), 5);

        Assert.Equal(2, LoopDetector.CountReceivedHeaders(sequence, stopAfter: 100));
    }

    [Fact]
    public void Empty_message_and_message_starting_with_an_empty_line_have_none()
    {
        Assert.Equal(0, LoopDetector.CountReceivedHeaders(ReadOnlySequence<byte>.Empty, stopAfter: 100));
        Assert.Equal(0, LoopDetector.CountReceivedHeaders(Segmented("\r\nReceived: a\r\n"u8.ToArray(), 1), stopAfter: 100));
    }

    // The same chunking the spool tests use for SmtpServer's multi-segment buffers.
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        var sequence = ChunkedSequence.Split(bytes, segmentSize);
        Assert.Equal(bytes.Length, sequence.Length);
        Assert.Equal(bytes.Length <= segmentSize, sequence.IsSingleSegment);
        return sequence;
    }
}
