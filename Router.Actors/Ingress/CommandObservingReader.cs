using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Router.Actors.Ingress;

/// <summary>
/// Watches the command lines a session consumes, not message data, and hands each one to an
/// observer. The SMTP library parses RCPT but drops its ESMTP parameters (NOTIFY, ORCPT); this
/// is where the router picks them up, just before the library executes that RCPT.
/// </summary>
internal sealed class CommandObservingReader(PipeReader inner, Action<string> observeLine) : PipeReader
{
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

    private ReadOnlySequence<byte> _buffer;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        _buffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
            return false;
        _buffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // An observer may refuse the line by throwing; the reader must still move past it.
        try
        {
            Observe(_buffer.Slice(0, consumed));
        }
        finally
        {
            inner.AdvanceTo(consumed, examined);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    private void Observe(ReadOnlySequence<byte> consumed)
    {
        if (consumed.IsEmpty)
            return;
        // Command lines are short; a long consumed run is not one we care about.
        if (consumed.Length > 2048)
            return;
        // The library consumes a command one line at a time, and a message's data, end marker included, at once: a
        // run that ends with the marker is data. (Judged by the run itself, not by a DATA line seen before it: a DATA
        // the library refused left every later command unobserved, its parameters unchecked.)
        if (consumed.Length >= EndOfData.Length && consumed.Slice(consumed.Length - EndOfData.Length).ToArray().AsSpan().SequenceEqual(EndOfData))
            return;
        // UTF-8: SMTPUTF8 addresses (RFC 6531) are read exactly; an invalid sequence becomes U+FFFD, which no address may hold.
        foreach (var line in Encoding.UTF8.GetString(consumed.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            observeLine(line);
    }
}
