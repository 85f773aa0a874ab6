using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Router.Tests.Integration;

/// <summary>
/// A minimal SMTP server on loopback that offers exactly the EHLO extensions it is given and
/// keeps every MAIL and RCPT line and every message as the bytes that came over the socket.
/// The fake firewall cannot stand in here: its SMTP library always offers SMTPUTF8 and decodes
/// domains as ASCII, so it could neither refuse SMTPUTF8 nor show a UTF-8 domain as received.
/// </summary>
internal sealed class RawSmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string[] _extensions;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Transaction> _received = Channel.CreateUnbounded<Transaction>();
    private readonly Task _accepting;

    /// <summary>One message: the MAIL and RCPT lines as sent (decoded as UTF-8), and the content, dot-unstuffed, as sent.</summary>
    public sealed record Transaction(string MailLine, IReadOnlyList<string> RcptLines, byte[] Data);

    private RawSmtpSink(string[] extensions)
    {
        _extensions = extensions;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Messages taken so far (MAIL lines count only once their data has come).</summary>
    public int Transactions => Volatile.Read(ref _transactions);

    private int _transactions;

    /// <param name="extensions">The EHLO keywords after the greeting line, in order ("SMTPUTF8", "8BITMIME").</param>
    public static RawSmtpSink Start(params string[] extensions) => new(extensions);

    public async Task<Transaction> NextAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        return await _received.Reader.ReadAsync(deadline.Token);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new LineReader(stream);
        try
        {
            await WriteAsync(stream, "220 sink.test ESMTP");
            string? mail = null;
            var rcpts = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } raw)
            {
                var line = Encoding.UTF8.GetString(raw);
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await WriteAsync(stream, string.Join("\r\n", new[] { "sink.test" }.Concat(_extensions)
                            .Select((text, i) => (i == _extensions.Length ? "250 " : "250-") + text)));
                        break;
                    case "MAIL":
                        (mail, rcpts) = (line, []);
                        await WriteAsync(stream, "250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        rcpts.Add(line);
                        await WriteAsync(stream, "250 2.1.5 Ok");
                        break;
                    case "DATA":
                        await WriteAsync(stream, "354 go ahead");
                        var data = new MemoryStream();
                        while (await reader.ReadLineAsync(_stop.Token) is { } content && !(content.Length == 1 && content[0] == '.'))
                        {
                            var unstuffed = content.Length > 0 && content[0] == '.' ? content.AsSpan(1) : content;
                            data.Write(unstuffed);
                            data.Write("\r\n"u8);
                        }
                        Interlocked.Increment(ref _transactions);
                        _received.Writer.TryWrite(new Transaction(mail ?? string.Empty, rcpts, data.ToArray()));
                        await WriteAsync(stream, "250 2.0.0 Ok: queued");
                        break;
                    case "QUIT":
                        await WriteAsync(stream, "221 2.0.0 bye");
                        return;
                    case "RSET" or "NOOP":
                        await WriteAsync(stream, "250 2.0.0 Ok");
                        break;
                    default:
                        await WriteAsync(stream, "502 5.5.1 not implemented");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static Task WriteAsync(NetworkStream stream, string reply) => stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n")).AsTask();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    /// <summary>Reads CRLF-terminated lines as bytes, without the CRLF.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new MemoryStream();
            while (true)
            {
                for (var i = _start; i < _end; i++)
                {
                    if (_buffer[i] == '\n' && (i > _start ? _buffer[i - 1] == '\r' : line.Length > 0 && line.GetBuffer()[line.Length - 1] == '\r'))
                    {
                        line.Write(_buffer, _start, i - _start + 1);
                        _start = i + 1;
                        return line.ToArray()[..^2];
                    }
                }
                line.Write(_buffer, _start, _end - _start);
                _start = _end = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                    return null;
            }
        }
    }
}
