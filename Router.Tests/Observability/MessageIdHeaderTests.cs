using System.Buffers;
using System.Text;
using Router.Actors.Observability.Tracking;

namespace Router.Tests.Observability;

public sealed class MessageIdHeaderTests
{
    private static string? Find(string message) => MessageIdHeader.Find(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(message)));

    [Fact]
    public void The_field_is_found_in_any_case_and_trimmed() =>
        Assert.Equal("<abc@example.org>", Find("From: a@b\r\nmessage-ID:   <abc@example.org>  \r\nSubject: x\r\n\r\nbody\r\n"));

    [Fact]
    public void A_folded_field_is_unfolded() =>
        Assert.Equal("<long.id@example.org>", Find("Message-ID:\r\n <long.id@example.org>\r\nSubject: x\r\n\r\n"));

    [Fact]
    public void A_message_id_in_the_body_is_not_the_header() =>
        Assert.Null(Find("Subject: x\r\n\r\nMessage-ID: <in-body@example.org>\r\n"));

    [Fact]
    public void A_field_whose_name_only_starts_with_message_id_is_not_it() =>
        Assert.Null(Find("Message-IDs: <x@y>\r\nResent-Message-ID: <r@y>\r\n\r\n"));
}
