using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Router.Testing.Smtp;

/// <summary>A raw SMTP session over a socket, for tests that need the exact command and reply lines.</summary>
public sealed class RawSmtpSession : IDisposable
{
    private readonly TcpClient _client = new();
    private Stream _stream = null!;
    private StreamReader _reader = null!;

    public static async Task<(RawSmtpSession Session, string Greeting)> OpenAsync(IPEndPoint endpoint)
    {
        var session = new RawSmtpSession();
        await session._client.ConnectAsync(endpoint);
        session._stream = session._client.GetStream();
        session._reader = new StreamReader(session._stream, Encoding.ASCII);
        return (session, await session._reader.ReadLineAsync() ?? string.Empty);
    }

    /// <summary>Sends one line (or several, for DATA content); returns every line of the reply.</summary>
    /// <param name="encoding">ASCII unless given: UTF-8 for SMTPUTF8 commands and content.</param>
    public async Task<List<string>> SendAsync(string line, Encoding? encoding = null)
    {
        await _stream.WriteAsync((encoding ?? Encoding.ASCII).GetBytes(line + "\r\n"));
        var lines = new List<string>();
        string reply;
        do
        {
            reply = await _reader.ReadLineAsync() ?? throw new IOException("connection closed");
            lines.Add(reply);
        }
        while (reply.Length > 3 && reply[3] == '-');
        return lines;
    }

    /// <summary>Sends one line; returns the last (or only) line of the reply.</summary>
    public async Task<string> ReplyAsync(string line, Encoding? encoding = null) => (await SendAsync(line, encoding)).Last();

    /// <summary>One transaction: EHLO, the given MAIL and RCPT lines, DATA with <paramref name="data"/>; returns the reply to the final dot.</summary>
    public async Task<string> TransactionAsync(string mail, IEnumerable<string> rcpts, string data)
    {
        Expect("250", await ReplyAsync("EHLO client.test"));
        Expect("250", await ReplyAsync(mail));
        foreach (var rcpt in rcpts)
            Expect("250", await ReplyAsync(rcpt));
        Expect("354", await ReplyAsync("DATA"));
        return await ReplyAsync(data + "\r\n.");
    }

    /// <summary>Writes bytes as they are (no CRLF added).</summary>
    public async Task WriteAsync(string raw) => await _stream.WriteAsync(Encoding.ASCII.GetBytes(raw));

    /// <summary>Writes bytes as they are, in one write (BDAT chunks, pipelined commands).</summary>
    public async Task WriteAsync(byte[] raw) => await _stream.WriteAsync(raw);

    /// <summary>
    /// STARTTLS and the TLS handshake (with the protocols given, or the system's choice); the
    /// session goes on encrypted. Returns the certificate the server presented and the protocol.
    /// <paramref name="command"/> may carry more lines after STARTTLS, sent in the same packet.
    /// </summary>
    public async Task<(System.Security.Cryptography.X509Certificates.X509Certificate? Certificate, SslProtocols Protocol)> StartTlsAsync(
        SslProtocols protocols = SslProtocols.None, string command = "STARTTLS")
    {
        Expect("220", await ReplyAsync(command));
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "router.test", EnabledSslProtocols = protocols });
        _stream = tls;
        _reader = new StreamReader(tls, Encoding.ASCII);
        return (tls.RemoteCertificate, tls.SslProtocol);
    }

    /// <summary>The next line from the server, or null once it has closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        try
        {
            return await _reader.ReadLineAsync();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();

    // An exception, not a test framework's assertion: this library depends on no test framework.
    private static void Expect(string code, string reply)
    {
        if (!reply.StartsWith(code, StringComparison.Ordinal))
            throw new InvalidOperationException($"expected a {code} reply, got \"{reply}\"");
    }
}
