using System.Buffers;
using System.Text;
using Router.Actors.Ingress;
using Router.Testing;

namespace Router.Tests.Ingress;

public sealed class BareLineEndingsTests
{
    private static ReadOnlySequence<byte> Of(string text, int chunk = 1000) => ChunkedSequence.Split(Encoding.ASCII.GetBytes(text), chunk);

    [Theory]
    [InlineData("a\r\nb\r\nc")]
    [InlineData("")]
    [InlineData("no line end at all")]
    public void Crlf_only_data_is_clean(string text) => Assert.Null(BareLineEndings.Find(Of(text)));

    [Theory]
    [InlineData("a\nb", "bare LF")]
    [InlineData("a\rb", "bare CR")]
    [InlineData("a\r\n\0b", "NUL")]
    [InlineData("hello\n.\r\nMAIL FROM:<evil@example>", "bare LF")]
    [InlineData("hello\r\n.\rMAIL", "bare CR")]
    [InlineData("ends with CR\r", "bare CR")]
    public void Smuggling_material_is_found(string text, string problem) => Assert.Equal(problem, BareLineEndings.Find(Of(text)));

    [Fact]
    public void A_crlf_split_across_segments_is_still_a_crlf()
    {
        for (var chunk = 1; chunk <= 5; chunk++)
        {
            Assert.Null(BareLineEndings.Find(Of("ab\r\ncd\r\nef", chunk)));
            Assert.Equal("bare CR", BareLineEndings.Find(Of("ab\rcd", chunk)));
        }
    }

    [Fact]
    public void Normalize_makes_every_line_end_crlf_and_drops_nul()
    {
        var normalized = BareLineEndings.Normalize(Of("a\nb\rc\r\nd\0e", 2));
        Assert.Equal("a\r\nb\r\nc\r\nde", Encoding.ASCII.GetString(normalized));
        Assert.Null(BareLineEndings.Find(new ReadOnlySequence<byte>(normalized)));
    }
}
