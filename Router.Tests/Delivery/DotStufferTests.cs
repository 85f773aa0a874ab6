using System.Text;
using Router.Actors.Delivery;

namespace Router.Tests.Delivery;

public sealed class DotStufferTests
{
    private static async Task<string> StuffAsync(params string[] pieces)
    {
        var stuffer = new DotStuffer();
        var output = new MemoryStream();
        foreach (var piece in pieces)
            await stuffer.WriteAsync(output, Encoding.ASCII.GetBytes(piece), CancellationToken.None);
        return Encoding.ASCII.GetString(output.ToArray());
    }

    [Fact]
    public async Task Lines_without_a_leading_dot_pass_unchanged()
    {
        Assert.Equal("Subject: x\r\n\r\nno dots. here.\r\n", await StuffAsync("Subject: x\r\n\r\nno dots. here.\r\n"));
    }

    [Fact]
    public async Task Every_line_that_starts_with_a_dot_gets_a_second_one()
    {
        Assert.Equal("..first\r\nmid\r\n..\r\n...two\r\nlast.\r\n", await StuffAsync(".first\r\nmid\r\n.\r\n..two\r\nlast.\r\n"));
    }

    [Fact]
    public async Task A_line_start_split_across_two_writes_is_still_found()
    {
        Assert.Equal("a\r\n..b\r\n", await StuffAsync("a\r\n", ".b\r\n"));
        Assert.Equal("a\r\nb.c\r\n", await StuffAsync("a\r\nb", ".c\r\n"));
    }

    [Fact]
    public async Task Tracks_whether_the_last_byte_ended_a_line()
    {
        var stuffer = new DotStuffer();
        Assert.True(stuffer.AtLineStart);
        await stuffer.WriteAsync(Stream.Null, "no final newline"u8.ToArray(), CancellationToken.None);
        Assert.False(stuffer.AtLineStart);
        await stuffer.WriteAsync(Stream.Null, "\r\n"u8.ToArray(), CancellationToken.None);
        Assert.True(stuffer.AtLineStart);
    }
}
