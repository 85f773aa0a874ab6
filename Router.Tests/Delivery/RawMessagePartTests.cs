using System.Text;
using MimeKit;
using Router.Actors.Delivery;

namespace Router.Tests.Delivery;

public sealed class RawMessagePartTests
{
    [Fact]
    public async Task Wrapped_message_writes_exactly_the_source_bytes_and_nothing_of_its_own()
    {
        var source = Encoding.UTF8.GetBytes("Received: x\r\n\tby y\r\nSubject:  odd\r\n folding\r\n\r\nGrüße\r\n.dot\r\nno final newline");
        var (message, part) = RawMessagePart.Wrap(new MemoryStream(source));
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        foreach (var hidden in RawMessagePart.HiddenHeaders)
            format.HiddenHeaders.Add(hidden);

        var output = new MemoryStream();
        await message.WriteToAsync(format, output);

        Assert.Equal(Encoding.UTF8.GetString(source), Encoding.UTF8.GetString(output.ToArray()));
        Assert.True(part.Written);
        Assert.Equal(ContentEncoding.EightBit, part.ContentTransferEncoding);
    }
}
