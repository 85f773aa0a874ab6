using System.Text;
using MailKit.Security;
using MimeKit;
using Router.Actors.Delivery;
using Router.Testing.Firewalls;

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

    // If MailKit ever stops handing its SMTP stream behind its DATA filter, delivery stays correct
    // (the filter stuffs) but silently loses the fast path: this test is what notices.
    [Fact]
    public async Task Sent_by_mailkit_the_body_is_dot_stuffed_here_past_its_filter_and_arrives_unchanged()
    {
        await using var fake = await FakeFirewall.StartAsync("fw");
        var source = Encoding.ASCII.GetBytes("Subject: dots\r\n\r\n.one\r\n..two\r\nend\r\n");
        var (message, part) = RawMessagePart.Wrap(new MemoryStream(source));
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        foreach (var hidden in RawMessagePart.HiddenHeaders)
            format.HiddenHeaders.Add(hidden);

        using var client = new RelaySmtpClient(); // what delivery uses: no MIME-Version of its own
        await client.ConnectAsync("127.0.0.1", fake.Port, SecureSocketOptions.None);
        await client.SendAsync(format, message, new MailboxAddress("", "s@example.org"), [new MailboxAddress("", "r@example.net")]);
        await client.DisconnectAsync(true);

        Assert.True(part.StuffedItself);
        Assert.Equal(source, fake.Messages.Single().Data);
    }
}
