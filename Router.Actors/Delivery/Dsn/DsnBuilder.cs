using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit.Utils;

namespace Router.Actors.Delivery.Dsn;

/// <summary>
/// Builds a delivery status notification: an RFC 6522 multipart/report with a human-readable part,
/// the RFC 3464 message/delivery-status part and the original's headers (text/rfc822-headers) or the
/// whole original (message/rfc822).
/// </summary>
/// <remarks>
/// Written by hand rather than with MimeKit's MultipartReport: the original's header section must go
/// out byte for byte (no re-folding, no re-encoding), only the bytes needed may be read from a
/// possibly huge original, and the delivery-status fields are not RFC 2047 text. MimeKit parses the
/// result in the tests.
/// </remarks>
public static partial class DsnBuilder
{
    public const string SubjectFailed = "Undelivered Mail Returned to Sender";
    public const string SubjectDelayed = "Delayed Mail (still being retried)";
    public const string SubjectDelivered = "Successful Mail Delivery Report";

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Reads the original message (the exact stored bytes) from the current position of
    /// <paramref name="original"/> and returns the complete DSN with CRLF line endings, to be spooled
    /// with the null envelope sender and <see cref="DsnRequest.OriginalSender"/> as its one recipient.
    /// </summary>
    public static byte[] Build(DsnRequest request, Stream original, DateTimeOffset now, string messageIdDomain)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentException.ThrowIfNullOrWhiteSpace(messageIdDomain);
        Validate(request);

        var anyFailed = request.Recipients.Any(r => r.Action == DsnAction.Failed);
        var anyDelayed = request.Recipients.Any(r => r.Action == DsnAction.Delayed);

        // RFC 3461 §4.3: the full message is returned only with news of a failure; other DSNs carry headers.
        var returned = ReturnedOriginal.Read(original, request.Return == DsnReturn.Full && anyFailed, request.MaxFullReturnBytes);

        var notification = Utf8.GetBytes(Notification(request, anyFailed, anyDelayed, returned.IsWholeMessage));
        var deliveryStatus = Utf8.GetBytes(DeliveryStatus(request));
        var parts = new[] { notification, deliveryStatus, returned.Content };
        var boundary = NewBoundary(parts);

        var subject = anyFailed ? SubjectFailed : anyDelayed ? SubjectDelayed : SubjectDelivered;
        var eightBit = parts.Any(HasEightBit);

        var headers = new StringBuilder();
        DsnField.AppendField(headers, "From", $"Mail Delivery System <{DsnField.Address("MAILER-DAEMON@" + request.ReportingMta)}>");
        DsnField.AppendField(headers, "To", $"<{DsnField.Address(request.OriginalSender)}>");
        DsnField.AppendField(headers, "Subject", subject);
        DsnField.AppendField(headers, "Date", DateUtils.FormatDate(now));
        DsnField.AppendField(headers, "Message-ID", $"<{MimeUtils.GenerateMessageId(DsnField.Sanitise(messageIdDomain))}>");
        // RFC 3834 §5: keeps vacation responders and other automatic replies from answering a bounce.
        DsnField.AppendField(headers, "Auto-Submitted", "auto-replied");
        DsnField.AppendField(headers, "MIME-Version", "1.0");
        headers.Append($"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n");
        if (eightBit)
            headers.Append("Content-Transfer-Encoding: 8bit\r\n");
        headers.Append("\r\n");
        headers.Append("This is a MIME-encapsulated message.\r\n");

        var output = new MemoryStream();
        Write(output, headers.ToString());

        WritePartHeader(output, boundary, "Notification", "text/plain; charset=" + (HasEightBit(notification) ? "utf-8" : "us-ascii"), notification);
        output.Write(notification);

        WritePartHeader(output, boundary, "Delivery report", "message/delivery-status", deliveryStatus);
        output.Write(deliveryStatus);

        if (returned.IsWholeMessage)
            WritePartHeader(output, boundary, "Original message", "message/rfc822", returned.Content);
        else
            WritePartHeader(output, boundary, "Original message headers", "text/rfc822-headers", returned.Content);
        output.Write(returned.Content);

        // The CRLF in front of a boundary belongs to the boundary (RFC 2046 §5.1.1), not to the part.
        Write(output, $"\r\n--{boundary}--\r\n");
        return output.ToArray();
    }

    private static void Validate(DsnRequest request)
    {
        if (request.Recipients is null || request.Recipients.Count == 0)
            throw new ArgumentException("A DSN reports on at least one recipient.", nameof(request));
        foreach (var recipient in request.Recipients)
        {
            if (string.IsNullOrWhiteSpace(recipient.FinalRecipient))
                throw new ArgumentException("Every recipient needs a final recipient address.", nameof(request));
            if (recipient.Status is null || !StatusCode().IsMatch(recipient.Status))
                throw new ArgumentException($"'{recipient.Status}' is not an RFC 3463 status code (class.subject.detail).", nameof(request));
        }
    }

    private static string Notification(DsnRequest request, bool anyFailed, bool anyDelayed, bool wholeMessage)
    {
        var text = new StringBuilder();
        text.Append($"This is the mail system at host {DsnField.Sanitise(request.ReportingMta)}.\r\n\r\n");
        if (anyFailed)
            text.Append("Your message could not be delivered to one or more recipients.\r\n");
        else if (anyDelayed)
            text.Append("Your message has not yet been delivered to one or more recipients.\r\nThe mail system will keep trying; you do not need to send it again.\r\n");
        else
            text.Append("Your message was delivered or passed on to the recipients below.\r\n");
        text.Append(wholeMessage
            ? "The delivery report and your message are attached.\r\n\r\n"
            : "The delivery report and the headers of your message are attached.\r\n\r\n");

        foreach (var recipient in request.Recipients)
        {
            text.Append($"<{DsnField.Address(recipient.FinalRecipient)}>: {ActionName(recipient.Action)}, status {DsnField.Sanitise(recipient.Status)}\r\n");
            if (!string.IsNullOrWhiteSpace(recipient.DiagnosticCode))
            {
                var host = string.IsNullOrWhiteSpace(recipient.RemoteMta) ? "the remote server" : "host " + DsnField.Sanitise(recipient.RemoteMta);
                DsnField.AppendWrapped(text, $"    {host} said:", DsnField.Sanitise(recipient.DiagnosticCode), "    ");
            }
            if (recipient.Action == DsnAction.Delayed && recipient.WillRetryUntil is { } until)
                text.Append($"    will retry until {DateUtils.FormatDate(until)}\r\n");
        }
        return text.ToString();
    }

    private static string DeliveryStatus(DsnRequest request)
    {
        // Field order follows the RFC 3464 §2.1 grammar: Original-Envelope-Id before Reporting-MTA,
        // extension fields after the standard ones.
        var status = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(request.OriginalEnvelopeId))
            DsnField.AppendField(status, "Original-Envelope-Id", DsnField.Sanitise(request.OriginalEnvelopeId));
        DsnField.AppendField(status, "Reporting-MTA", "dns; " + DsnField.Sanitise(request.ReportingMta));
        DsnField.AppendField(status, "Arrival-Date", DateUtils.FormatDate(request.ArrivalDate));
        DsnField.AppendField(status, "X-Router-Queue-ID", DsnField.Sanitise(request.OriginalQueueId));

        foreach (var recipient in request.Recipients)
        {
            status.Append("\r\n");
            if (!string.IsNullOrWhiteSpace(recipient.OriginalRecipient))
            {
                var orcpt = DsnField.Sanitise(recipient.OriginalRecipient);
                // ORCPT carries its address type ("rfc822;a@b"); assume rfc822 if a caller passed a bare address.
                DsnField.AppendField(status, "Original-Recipient", orcpt.Contains(';') ? orcpt : "rfc822; " + orcpt);
            }
            DsnField.AppendField(status, "Final-Recipient", "rfc822; " + DsnField.Address(recipient.FinalRecipient));
            DsnField.AppendField(status, "Action", ActionName(recipient.Action));
            DsnField.AppendField(status, "Status", recipient.Status);
            if (!string.IsNullOrWhiteSpace(recipient.RemoteMta))
                DsnField.AppendField(status, "Remote-MTA", "dns; " + DsnField.Sanitise(recipient.RemoteMta));
            if (!string.IsNullOrWhiteSpace(recipient.DiagnosticCode))
                DsnField.AppendField(status, "Diagnostic-Code", "smtp; " + DsnField.Sanitise(recipient.DiagnosticCode));
            if (recipient.LastAttempt is { } lastAttempt)
                DsnField.AppendField(status, "Last-Attempt-Date", DateUtils.FormatDate(lastAttempt));
            if (recipient.Action == DsnAction.Delayed && recipient.WillRetryUntil is { } until)
                DsnField.AppendField(status, "Will-Retry-Until", DateUtils.FormatDate(until));
        }
        return status.ToString();
    }

    private static string ActionName(DsnAction action) => action switch
    {
        DsnAction.Failed => "failed",
        DsnAction.Delayed => "delayed",
        DsnAction.Delivered => "delivered",
        DsnAction.Relayed => "relayed",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    private static void WritePartHeader(MemoryStream output, string boundary, string description, string contentType, byte[] content)
    {
        // 7bit and 8bit are the only encodings a message/* part may declare (RFC 2046 §5.2.1); the
        // original is returned as it is, so 8-bit bytes in it are declared, never re-encoded.
        var encoding = HasEightBit(content) ? "8bit" : "7bit";
        Write(output, $"\r\n--{boundary}\r\nContent-Description: {description}\r\nContent-Type: {contentType}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n");
    }

    /// <summary>A random boundary, drawn again in the unlikely case that a part contains it.</summary>
    private static string NewBoundary(byte[][] parts)
    {
        while (true)
        {
            var boundary = "=_router-dsn-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
            if (!parts.Any(part => part.AsSpan().IndexOf(delimiter) >= 0))
                return boundary;
        }
    }

    private static bool HasEightBit(byte[] bytes) => bytes.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;

    private static void Write(MemoryStream output, string text) => output.Write(Utf8.GetBytes(text));

    [GeneratedRegex(@"^[245]\.[0-9]{1,3}\.[0-9]{1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex StatusCode();
}
