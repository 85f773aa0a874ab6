using System.Buffers;
using System.IO.Pipelines;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpServer.IO;

namespace Router.Actors.Ingress;

/// <summary>
/// A session's pipe whose output passes through <see cref="EnhancedReplies"/> line by line. The
/// library writes each reply in full and then flushes, so lines are rewritten at flush time.
/// </summary>
internal sealed class PolishedPipe(ISecurableDuplexPipe inner, Action<string> observeCommand, TimeSpan? tlsHandshakeTimeout = null) : ISecurableDuplexPipe
{
    private PipeWriter? _innerOutput;
    private ReplyWriter? _output;
    private PipeReader? _innerInput;
    private CommandObservingReader? _input;

    // STARTTLS replaces the inner reader too; follow it.
    public PipeReader Input
    {
        get
        {
            var current = inner.Input;
            if (!ReferenceEquals(current, _innerInput))
            {
                _innerInput = current;
                _input = new CommandObservingReader(current, observeCommand);
            }
            return _input!;
        }
    }

    // STARTTLS replaces the inner writer; follow it.
    public PipeWriter Output
    {
        get
        {
            var current = inner.Output;
            if (!ReferenceEquals(current, _innerOutput))
            {
                _innerOutput = current;
                _output = new ReplyWriter(current);
            }
            return _output!;
        }
    }

    public bool IsSecure => inner.IsSecure;

    public SslProtocols SslProtocol => inner.SslProtocol;

    // The library bounds the STARTTLS handshake by the whole session's timeout only; a client
    // that stalls it is cut after smtp.tls.handshake-timeout. The failure is not a cancellation,
    // which the library would answer in clear text and carry on from, but ends the session.
    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (tlsHandshakeTimeout is { } limit)
            timeout.CancelAfter(limit);
        try
        {
            await inner.UpgradeAsync(certificate, protocols, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"TLS handshake not completed within {tlsHandshakeTimeout}");
        }
    }

    public void Dispose() => inner.Dispose();

    private sealed class ReplyWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new(512);
        private bool _continuation;

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var text = Encoding.ASCII.GetString(_pending.WrittenSpan);
            var end = text.LastIndexOf("\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var output = new StringBuilder(text.Length + 32);
                foreach (var line in text[..end].Split("\r\n"))
                {
                    output.Append(EnhancedReplies.Polish(line, _continuation)).Append("\r\n");
                    // A line "250-..." announces more lines of the same reply; "250 ..." ends it.
                    _continuation = line.Length > 3 && line[3] == '-';
                }
                inner.Write(Encoding.ASCII.GetBytes(output.ToString()));
            }
            var rest = end >= 0 ? text[(end + 2)..] : text;
            _pending.Clear();
            if (rest.Length > 0)
                _pending.Write(Encoding.ASCII.GetBytes(rest));
            return inner.FlushAsync(cancellationToken);
        }
    }
}
