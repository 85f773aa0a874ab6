using System.Text;
using MailKit.Net.Smtp;
using MimeKit;

namespace Router.Testing.Smtp;

/// <summary>Builds test messages whose exact wire bytes are known, and sends them with MailKit.</summary>
public static class TestMail
{
    /// <summary>
    /// A message meant to catch any rewriting: a DKIM-style header with odd folding, 8-bit text,
    /// lines that start with a dot (dot-stuffing both ways), a 990-byte line and a unique id.
    /// </summary>
    public static byte[] Build(string id, string to = "user@example.net", int extraBodyBytes = 0)
    {
        var body = new StringBuilder()
            .Append("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel;\r\n")
            .Append("\t  h=from:to:subject;   bh=AbCd+/==;\r\n")
            .Append("  b=XyZ123\r\n")
            .Append("From: Sender <sender@example.org>\r\n")
            .Append("To: <").Append(to).Append(">\r\n")
            .Append("Subject:   folded\r\n   subject ").Append(id).Append("\r\n")
            .Append("Message-ID: <").Append(id).Append("@test.example>\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Transfer-Encoding: 8bit\r\n")
            .Append("\r\n")
            .Append("Grüße aus Köln, message ").Append(id).Append("\r\n")
            .Append(".a line that starts with a dot\r\n")
            .Append("..two dots\r\n")
            .Append('x', 990).Append("\r\n");
        var filler = 0;
        while (filler < extraBodyBytes)
        {
            body.Append("filler line ").Append(filler).Append(" lorem ipsum dolor sit amet\r\n");
            filler += 40;
        }
        body.Append("end\r\n");
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    /// <summary>The Message-ID value inside bytes built by <see cref="Build"/>.</summary>
    public static string IdOf(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var start = text.IndexOf("Message-ID: <", StringComparison.Ordinal) + "Message-ID: <".Length;
        var end = text.IndexOf("@test.example>", start, StringComparison.Ordinal);
        return text[start..end];
    }

    public static MimeMessage Load(byte[] data) => MimeMessage.Load(new MemoryStream(data));

    /// <summary>Sends messages over one reused connection; returns the server's reply per message.</summary>
    public static async Task<List<string>> SendAsync(System.Net.IPEndPoint endpoint, IEnumerable<byte[]> messages, string to = "user@example.net",
        CancellationToken cancellationToken = default, string from = "sender@example.org")
    {
        var replies = new List<string>();
        using var client = new ExactBytesClient();
        await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, MailKit.Security.SecureSocketOptions.None, cancellationToken);
        foreach (var data in messages)
        {
            var reply = await client.SendAsync(Format, Load(data), MailboxAddress.Parse(from),
                [MailboxAddress.Parse(to)], cancellationToken);
            replies.Add(reply);
        }
        await client.DisconnectAsync(true, cancellationToken);
        return replies;
    }

    public static readonly FormatOptions Format = CreateFormat();

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = false;
        return format;
    }

    /// <summary>A MailKit client that sends the parsed message back out exactly as it was built.</summary>
    public sealed class ExactBytesClient : SmtpClient
    {
        protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
        {
        }
    }
}
