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
/// With a <see cref="SessionGuard"/>, input passes through a <see cref="GuardedReader"/> and the
/// guard sees every reply line (README "Limits"); it also takes BDAT (RFC 3030) in front of the library,
/// which does not know it, and may replace the library's reply to a command it handed over for it.
/// </summary>
internal sealed class PolishedPipe(ISecurableDuplexPipe inner, Action<string> observeCommand, SessionGuard? guard = null, TimeSpan? tlsHandshakeTimeout = null)
    : ISecurableDuplexPipe
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
                _input = new CommandObservingReader(guard is null ? current : new GuardedReader(current, guard), observeCommand);
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
                _output = new ReplyWriter(current, guard);
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

    private sealed class ReplyWriter(PipeWriter inner, SessionGuard? guard) : PipeWriter
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
            if (guard?.Closed == true)
            {
                // The guard has said goodbye (421); whatever the library still writes is dropped.
                _pending.Clear();
                return ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: true));
            }
            var closing = false;
            var text = Encoding.ASCII.GetString(_pending.WrittenSpan);
            var end = text.LastIndexOf("\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var output = new StringBuilder(text.Length + 32);
                foreach (var line in text[..end].Split("\r\n"))
                {
                    var polished = EnhancedReplies.Polish(line, _continuation);
                    // A line "250-..." announces more lines of the same reply; "250 ..." ends it.
                    _continuation = line.Length > 3 && line[3] == '-';
                    // The reply to a command the reader handed the library for BDAT is the router's (SessionGuard.Shown).
                    var shown = guard is null ? polished : guard.Shown(polished);
                    if (shown is null)
                    {
                        // The go-ahead of a handed DATA: the client does not see it; the guard learns that data follows.
                        guard!.OnReplyLine(polished);
                        continue;
                    }
                    output.Append(shown).Append("\r\n");
                    if (!closing && guard?.OnReplyLine(shown) is { } goodbye)
                    {
                        output.Append(goodbye).Append("\r\n");
                        closing = true;
                    }
                }
                inner.Write(Encoding.ASCII.GetBytes(output.ToString()));
            }
            var rest = end >= 0 ? text[(end + 2)..] : text;
            _pending.Clear();
            if (rest.Length > 0)
                _pending.Write(Encoding.ASCII.GetBytes(rest));
            if (closing)
                guard!.MarkClosed();
            return inner.FlushAsync(cancellationToken);
        }
    }
}
