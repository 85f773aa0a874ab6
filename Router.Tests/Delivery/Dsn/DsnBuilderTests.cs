using System.Text;
using MimeKit;
using MimeKit.Utils;
using Router.Actors.Delivery.Dsn;

namespace Router.Tests.Delivery.Dsn;

public sealed class DsnBuilderTests
{
    // Odd spacing, tab and space folding and a DKIM signature: all must come back exactly as stored.
    private const string OriginalHeaders =
        "Received: from client.example (client.example [192.0.2.1])\r\n" +
        "\tby relay.example with ESMTP id Q1;\r\n" +
        "\tTue, 3 Jun 2025 10:00:00 +0000\r\n" +
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n" +
        "  b=abc123\r\n" +
        "From: Alice <alice@example.com>\r\n" +
        "To: bob@x.example, carol@y.example\r\n" +
        "Subject:  odd   spacing\r\n" +
        "   and folding\r\n" +
        "Message-ID: <orig@example.com>\r\n";

    private const string OriginalBody = "Hello Bob,\r\nBODY-MARKER line\r\n";

    private static readonly DateTimeOffset Now = new(2025, 6, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Arrived = new(2025, 6, 3, 10, 0, 0, TimeSpan.Zero);

    private static readonly DsnRecipient UserUnknown = new(
        "bob@x.example", null, DsnAction.Failed, "5.1.1",
        "550 5.1.1 <bob@x.example>: Recipient address rejected: User unknown in virtual mailbox table",
        "fw1.example", Now.AddMinutes(-1), null);

    private static readonly DsnRecipient Expired = new(
        "carol@y.example", null, DsnAction.Failed, "4.4.7",
        "451 4.7.1 Greylisted, please try again later", "fw2.example", Now.AddMinutes(-5), null);

    [Fact]
    public void Mixed_failures_parse_as_a_delivery_status_report_with_one_group_per_recipient()
    {
        var (bytes, message) = Build(Request([UserUnknown, Expired], DsnReturn.Headers));

        Assert.Equal(DsnBuilder.SubjectFailed, message.Subject);
        Assert.Equal("MAILER-DAEMON@relay.example", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal("Mail Delivery System", message.From.Mailboxes.Single().Name);
        Assert.Equal("alice@example.com", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("auto-replied", message.Headers["Auto-Submitted"]);
        Assert.Equal(Now, message.Date);
        Assert.EndsWith("@router.example", message.MessageId);

        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal(3, report.Count);

        var text = Assert.IsType<TextPart>(report[0]);
        Assert.True(text.IsPlain);
        Assert.Contains("<bob@x.example>: failed, status 5.1.1", text.Text);
        Assert.Contains("<carol@y.example>: failed, status 4.4.7", text.Text);
        Assert.Contains("host fw1.example said:", text.Text);

        var groups = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups;
        Assert.Equal(3, groups.Count);
        Assert.Equal("dns; relay.example", groups[0]["Reporting-MTA"]);
        Assert.Equal("Q-42", groups[0]["X-Router-Queue-ID"]);
        Assert.Equal(DateUtils.FormatDate(Arrived), groups[0]["Arrival-Date"]);
        Assert.Null(groups[0]["Original-Envelope-Id"]);

        Assert.Equal("rfc822; bob@x.example", groups[1]["Final-Recipient"]);
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("5.1.1", groups[1]["Status"]);
        Assert.Equal("dns; fw1.example", groups[1]["Remote-MTA"]);
        // The long reply is folded in the raw bytes and unfolds to exactly the firewall's text.
        Assert.Equal("smtp; " + UserUnknown.DiagnosticCode, groups[1]["Diagnostic-Code"]);
        Assert.Equal(DateUtils.FormatDate(UserUnknown.LastAttempt!.Value), groups[1]["Last-Attempt-Date"]);
        Assert.Null(groups[1]["Original-Recipient"]);
        Assert.Null(groups[1]["Will-Retry-Until"]);

        Assert.Equal("rfc822; carol@y.example", groups[2]["Final-Recipient"]);
        Assert.Equal("failed", groups[2]["Action"]);
        Assert.Equal("4.4.7", groups[2]["Status"]);
        Assert.Equal("dns; fw2.example", groups[2]["Remote-MTA"]);
        Assert.Equal("smtp; 451 4.7.1 Greylisted, please try again later", groups[2]["Diagnostic-Code"]);

        AssertCrlfLinesWithinLimit(bytes);
    }

    [Fact]
    public void Ret_hdrs_returns_the_header_section_byte_identical_without_the_body_and_reads_no_further()
    {
        // A big body behind the headers: the builder must stop reading at the empty line.
        var body = new StringBuilder(OriginalBody);
        while (body.Length < 4 << 20)
            body.Append("BODY-MARKER filler line of a large message body, nothing to see here\r\n");
        var original = new MemoryStream(Encoding.ASCII.GetBytes(OriginalHeaders + "\r\n" + body));

        var (bytes, message) = Build(Request([UserUnknown], DsnReturn.Headers), original);

        Assert.IsType<TextRfc822Headers>(Report(message)[2]);
        Assert.Equal(OriginalHeaders, Encoding.ASCII.GetString(ReturnedPartContent(bytes)));
        Assert.DoesNotContain("BODY-MARKER", Encoding.ASCII.GetString(bytes));
        Assert.True(original.Position <= 64 * 1024, $"read {original.Position} bytes of the original");
    }

    [Fact]
    public void Ret_full_returns_the_whole_original_unchanged()
    {
        var originalBytes = Encoding.ASCII.GetBytes(OriginalHeaders + "\r\n" + OriginalBody);

        var (bytes, message) = Build(Request([UserUnknown], DsnReturn.Full), new MemoryStream(originalBytes));

        var returned = Assert.IsType<MessagePart>(Report(message)[2]);
        Assert.NotNull(returned.Message);
        Assert.Equal("orig@example.com", returned.Message.MessageId);
        Assert.Contains("BODY-MARKER", returned.Message.TextBody);
        Assert.Equal(originalBytes, ReturnedPartContent(bytes));
        Assert.Contains("your message are attached", ((TextPart)Report(message)[0]).Text);
    }

    [Fact]
    public void Ret_full_over_the_size_limit_returns_the_headers_only()
    {
        var originalBytes = Encoding.ASCII.GetBytes(OriginalHeaders + "\r\n" + OriginalBody);
        var request = Request([UserUnknown], DsnReturn.Full) with { MaxFullReturnBytes = originalBytes.Length - 1 };

        var (bytes, message) = Build(request, new MemoryStream(originalBytes));

        Assert.IsType<TextRfc822Headers>(Report(message)[2]);
        Assert.Equal(OriginalHeaders, Encoding.ASCII.GetString(ReturnedPartContent(bytes)));
        Assert.DoesNotContain("BODY-MARKER", Encoding.ASCII.GetString(bytes));

        // Exactly at the limit the whole message still goes back.
        var (_, atLimit) = Build(request with { MaxFullReturnBytes = originalBytes.Length }, new MemoryStream(originalBytes));
        Assert.IsType<MessagePart>(Report(atLimit)[2]);
    }

    [Fact]
    public void Envelope_id_and_original_recipient_are_reported_when_the_client_gave_them()
    {
        var recipient = UserUnknown with { OriginalRecipient = "rfc822;Bob@X.example" };
        var request = Request([recipient], DsnReturn.Headers) with { OriginalEnvelopeId = "QQ314159" };

        var (_, message) = Build(request);

        var groups = ((MessageDeliveryStatus)Report(message)[1]).StatusGroups;
        Assert.Equal("QQ314159", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("rfc822;Bob@X.example", groups[1]["Original-Recipient"]);
        Assert.Equal("rfc822; bob@x.example", groups[1]["Final-Recipient"]);
    }

    [Fact]
    public void Delay_notice_has_will_retry_until_and_returns_only_headers_even_with_ret_full()
    {
        var until = Arrived.AddDays(2);
        var delayed = new DsnRecipient("bob@x.example", null, DsnAction.Delayed, "4.4.1",
            "421 4.4.1 fw1.example busy", "fw1.example", Now.AddMinutes(-2), until);

        var (_, message) = Build(Request([delayed], DsnReturn.Full));

        Assert.Equal(DsnBuilder.SubjectDelayed, message.Subject);
        var report = Report(message);
        var group = ((MessageDeliveryStatus)report[1]).StatusGroups[1];
        Assert.Equal("delayed", group["Action"]);
        Assert.Equal("4.4.1", group["Status"]);
        Assert.Equal(DateUtils.FormatDate(until), group["Will-Retry-Until"]);
        // RFC 3461 §4.3: without a failure only the headers are returned.
        Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Contains("will retry until", ((TextPart)report[0]).Text);
    }

    [Fact]
    public void Delivered_and_relayed_get_the_success_subject()
    {
        var delivered = UserUnknown with { Action = DsnAction.Delivered, Status = "2.0.0", DiagnosticCode = "250 2.0.0 Ok: queued" };
        var relayed = Expired with { Action = DsnAction.Relayed, Status = "2.0.0", DiagnosticCode = null };

        var (_, message) = Build(Request([delivered, relayed], DsnReturn.Headers));

        Assert.Equal(DsnBuilder.SubjectDelivered, message.Subject);
        var groups = ((MessageDeliveryStatus)Report(message)[1]).StatusGroups;
        Assert.Equal("delivered", groups[1]["Action"]);
        Assert.Equal("relayed", groups[2]["Action"]);
        Assert.Null(groups[2]["Diagnostic-Code"]);
    }

    [Fact]
    public void Crlf_in_a_reply_or_an_address_cannot_add_header_fields_or_mime_parts()
    {
        var hostile = UserUnknown with
        {
            DiagnosticCode = "550 5.1.1 nope\r\nX-Injected: yes\r\n\r\n--fake\r\nContent-Type: text/html\r\n\r\n<b>",
            RemoteMta = "fw1.example\r\nX-Injected-Mta: yes",
        };
        var request = Request([hostile], DsnReturn.Headers) with { OriginalSender = "alice@example.com>\r\nBcc: <victim@example.net" };

        var (bytes, message) = Build(request);

        Assert.False(message.Headers.Contains(HeaderId.Bcc));
        // One recipient whose local part is quoted, not a second recipient or a group.
        Assert.Equal("\"alice@example.com> Bcc: <victim\"@example.net", Assert.Single(message.To.Mailboxes).Address);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal(3, report.Count);
        var group = ((MessageDeliveryStatus)report[1]).StatusGroups[1];
        Assert.Null(group["X-Injected"]);
        Assert.Null(group["X-Injected-Mta"]);
        Assert.Equal("smtp; 550 5.1.1 nope X-Injected: yes --fake Content-Type: text/html <b>", group["Diagnostic-Code"]);
        Assert.Equal("dns; fw1.example X-Injected-Mta: yes", group["Remote-MTA"]);

        var lines = Encoding.UTF8.GetString(bytes).Split("\r\n");
        Assert.DoesNotContain(lines, line => line.StartsWith("X-Injected", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, line => line.StartsWith("Bcc", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, line => line.StartsWith("--fake", StringComparison.Ordinal));
        AssertCrlfLinesWithinLimit(bytes);
    }

    [Fact]
    public void Bare_line_ends_in_the_stored_original_come_back_as_crlf()
    {
        var original = new MemoryStream(Encoding.ASCII.GetBytes("Subject: a\nX-Odd: b\rc\r\n\r\nbody\n.\r\n"));

        var (bytes, message) = Build(Request([UserUnknown], DsnReturn.Headers), original);

        Assert.IsType<TextRfc822Headers>(Report(message)[2]);
        Assert.Equal("Subject: a\r\nX-Odd: b\r\nc\r\n", Encoding.ASCII.GetString(ReturnedPartContent(bytes)));
        AssertCrlfLinesWithinLimit(bytes);
    }

    [Fact]
    public void A_status_that_is_not_an_rfc_3463_code_is_refused()
    {
        var request = Request([UserUnknown with { Status = "550" }], DsnReturn.Headers);

        Assert.Throws<ArgumentException>(() => DsnBuilder.Build(request, new MemoryStream(), Now, "router.example"));
    }

    private static DsnRequest Request(DsnRecipient[] recipients, DsnReturn ret) =>
        new("relay.example", "Q-42", null, Arrived, "alice@example.com", recipients, ret);

    private static (byte[] Bytes, MimeMessage Message) Build(DsnRequest request, Stream? original = null)
    {
        original ??= new MemoryStream(Encoding.ASCII.GetBytes(OriginalHeaders + "\r\n" + OriginalBody));
        var bytes = DsnBuilder.Build(request, original, Now, "router.example");
        return (bytes, MimeMessage.Load(new MemoryStream(bytes)));
    }

    private static MultipartReport Report(MimeMessage message) => Assert.IsType<MultipartReport>(message.Body);

    /// <summary>The raw content of the DSN's third part, as MimeKit's parser delimits it.</summary>
    private static byte[] ReturnedPartContent(byte[] dsn)
    {
        using var stream = new MemoryStream(dsn);
        var parser = new MimeParser(stream, MimeFormat.Entity);
        (long Start, long End)? range = null;
        parser.MimeEntityEnd += (_, e) =>
        {
            if (e.Entity is TextRfc822Headers or MessagePart && e.Parent is MultipartReport)
                range = (e.HeadersEndOffset, e.EndOffset);
        };
        parser.ParseMessage();
        Assert.NotNull(range);
        return dsn[(int)range.Value.Start..(int)range.Value.End];
    }

    /// <summary>Every line ends in CRLF (no bare CR or LF) and keeps to RFC 5322's 998 octets.</summary>
    private static void AssertCrlfLinesWithinLimit(byte[] bytes)
    {
        Assert.EndsWith("\r\n", Encoding.ASCII.GetString(bytes[^2..]));
        var lineStart = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\r')
            {
                Assert.True(i + 1 < bytes.Length && bytes[i + 1] == (byte)'\n', $"bare CR at {i}");
                Assert.True(i - lineStart <= 998, $"line at {lineStart} is {i - lineStart} octets");
                lineStart = i + 2;
                i++;
            }
            else
            {
                Assert.True(bytes[i] != (byte)'\n', $"bare LF at {i}");
            }
        }
    }
}
