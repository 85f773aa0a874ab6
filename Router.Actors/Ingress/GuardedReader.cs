using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.RegularExpressions;
using Router.Actors.Buffers;

namespace Router.Actors.Ingress;

/// <summary>
/// The session's input as the SMTP library reads it, with the limits of <see cref="SessionGuard"/>
/// applied. Outside DATA the library is handed only whole command lines: a line longer than
/// max-command-line-length is discarded up to its CRLF and answered 500 (the library would
/// otherwise buffer it up to the message size limit), a command not complete within
/// command-timeout ends the session with 421 4.4.2, and <c>RCPT TO:&lt;postmaster&gt;</c>, which
/// the library's parser refuses for want of a domain, is handed over as the configured
/// postmaster address. In DATA each read must come within data-timeout and the whole data within
/// data-total-timeout (421 4.4.2), and what the library buffers is charged to the in-flight budget
/// (past it: 421 4.3.2). A session cut in DATA never reaches the store: nothing is kept. The first line of DATA
/// content loses its stuffing dot here, and the data reaches the library only whole, with a CRLF added before its end
/// so that the content the library hands over keeps its final CRLF (see <see cref="ReadDataAsync"/>). BDAT (RFC 3030), which the library does not
/// know, is taken here: see GuardedReader.Chunking.cs.
/// </summary>
internal sealed partial class GuardedReader(PipeReader inner, SessionGuard guard) : PipeReader
{
    private static readonly ReadResult EndOfInput = new(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
    // The end marker as the library finds it (it needs a CRLF before the dot, and keeps that CRLF for itself): what it
    // is handed for an empty message, and after the content of any other.
    private static readonly byte[] EndMarker = "\r\n.\r\n"u8.ToArray();

    private ReadOnlySequence<byte> _presented;
    // What the library was handed is not the inner pipe's: consumed whole, the pipe moves to _rewrittenTo.
    private bool _rewritten;
    private SequencePosition _rewrittenFrom;
    private SequencePosition _rewrittenTo;
    private bool _discarding;
    // The first line of the DATA content under way was looked at (its stuffing dot taken off); false again at its end.
    private bool _firstLineDone;
    // How much of the DATA content under way was searched for its end marker (from the start of the pipe's buffer).
    private long _searched;

    // One deadline source per session, re-armed for each read (a linked source and a timer per read
    // were a measurable share of the per-message CPU); replaced only after it fired.
    private CancellationTokenSource? _deadline;
    private CancellationToken _deadlineLinkedTo;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (guard.Closed)
            return EndOfInput;
        if (_handed is { } handed)
        {
            // After the handed DATA line the library reads the data only if it gave the go-ahead; if it refused the
            // DATA instead, the chunks are dropped (and what the client sends next is read as commands).
            if (!_handedBody || guard.InData)
            {
                _presented = handed;
                return new ReadResult(handed, isCanceled: false, isCompleted: false);
            }
            _handed = null;
            guard.DiscardChunks();
        }
        return guard.InData
            ? await ReadDataAsync(cancellationToken).ConfigureAwait(false)
            : await ReadCommandAsync(cancellationToken).ConfigureAwait(false);
    }

    public override bool TryRead(out ReadResult result)
    {
        // The library only awaits ReadAsync; a synchronous read could hand over a partial line.
        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_handed is { } handed)
        {
            // The octets handed over were consumed from the inner pipe already, as the BDAT lines and chunks arrived.
            if (handed.Slice(0, consumed).IsEmpty)
                return;
            var rest = handed.Slice(consumed);
            _presented = default;
            _handed = rest.IsEmpty ? null : rest;
            if (rest.IsEmpty && guard.InData)
                guard.DataEnded();
            else if (!rest.IsEmpty)
                _handedBody = true;
            return;
        }
        if (_rewritten)
        {
            var whole = _presented.Slice(consumed).IsEmpty;
            _rewritten = false;
            _presented = default;
            inner.AdvanceTo(whole ? _rewrittenTo : _rewrittenFrom, whole ? _rewrittenTo : _rewrittenFrom);
            // A message's data and its end, rewritten (ReadDataAsync).
            if (whole && guard.InData)
                EndData();
            return;
        }
        var consumedAny = !_presented.IsEmpty && _presented.Slice(0, consumed).Length > 0;
        _presented = default;
        inner.AdvanceTo(consumed, examined);
        // In DATA the library consumes nothing until it has the whole message, end marker included.
        if (consumedAny && guard.InData)
            EndData();
    }

    private void EndData()
    {
        _firstLineDone = false;
        _searched = 0;
        guard.DataEnded();
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _deadline?.Dispose();
        _deadline = null;
        guard.Release();
        inner.Complete(exception);
    }

    private async ValueTask<ReadResult> ReadCommandAsync(CancellationToken cancellationToken)
    {
        var max = guard.AwaitingChallengeResponse ? Math.Max(guard.Limits.MaxCommandLineLength, SessionGuard.MaxAuthLineLength)
            : guard.Limits.MaxCommandLineLength;
        var deadline = DateTime.UtcNow + guard.CommandTimeout;
        while (true)
        {
            if (await ReadInnerAsync(deadline, cancellationToken).ConfigureAwait(false) is not { } result)
            {
                await guard.CloseAsync(LimitReplies.CommandTimeout).ConfigureAwait(false);
                return EndOfInput;
            }
            if (result.IsCanceled)
            {
                _presented = result.Buffer;
                return result;
            }
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            var complete = reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: true);
            if (_discarding)
            {
                if (complete)
                {
                    inner.AdvanceTo(reader.Position);
                    _discarding = false;
                    await guard.ReplyAsync(LimitReplies.CommandLineTooLong(max)).ConfigureAwait(false);
                    if (guard.Closed)
                        return EndOfInput;
                    continue;
                }
                if (result.IsCompleted)
                {
                    inner.AdvanceTo(buffer.End);
                    return EndOfInput;
                }
                // Keep the last byte: it may be the CR of the CRLF that ends the line.
                inner.AdvanceTo(buffer.Length > 1 ? buffer.GetPosition(buffer.Length - 1) : buffer.Start, buffer.End);
                continue;
            }
            if (complete)
            {
                if (line.Length + 2 > max && !IsAuthWithin(line, SessionGuard.MaxAuthLineLength))
                {
                    inner.AdvanceTo(reader.Position);
                    await guard.ReplyAsync(LimitReplies.CommandLineTooLong(max)).ConfigureAwait(false);
                    if (guard.Closed)
                        return EndOfInput;
                    continue;
                }
                if (!guard.AwaitingChallengeResponse && BdatCommand.Is(line))
                {
                    var command = BdatCommand.Parse(line);
                    inner.AdvanceTo(reader.Position);
                    switch (await RunBdatAsync(command, cancellationToken).ConfigureAwait(false))
                    {
                        case Bdat.Handed:
                            _presented = _handed!.Value;
                            return new ReadResult(_presented, isCanceled: false, isCompleted: false);
                        case Bdat.End:
                            return EndOfInput;
                    }
                    if (guard.Closed)
                        return EndOfInput;
                    deadline = DateTime.UtcNow + guard.CommandTimeout;
                    continue;
                }
                if (guard.Chunks is not null && IsData(line))
                {
                    // RFC 3030 §2: DATA after BDAT in one transaction gets 503; the client must RSET.
                    inner.AdvanceTo(reader.Position);
                    await guard.ReplyAsync(ChunkingReplies.Mixed).ConfigureAwait(false);
                    if (guard.Closed)
                        return EndOfInput;
                    deadline = DateTime.UtcNow + guard.CommandTimeout;
                    continue;
                }
                if (PostmasterRcpt(line) is { } rewritten)
                {
                    _rewritten = true;
                    _rewrittenFrom = buffer.Start;
                    _rewrittenTo = reader.Position;
                    _presented = new ReadOnlySequence<byte>(rewritten);
                    return new ReadResult(_presented, isCanceled: false, isCompleted: false);
                }
                _presented = buffer;
                return result;
            }
            if (buffer.Length >= max && !(buffer.Length < SessionGuard.MaxAuthLineLength && StartsWithAuth(buffer)))
            {
                // No CRLF within max bytes: the line is too long whatever follows.
                _discarding = true;
                inner.AdvanceTo(buffer.GetPosition(buffer.Length - 1), buffer.End);
                continue;
            }
            if (result.IsCompleted)
            {
                _presented = buffer;
                return result;
            }
            // Not a whole line yet: wait for more without handing the library a partial one.
            inner.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool StartsWithAuth(ReadOnlySequence<byte> line)
    {
        Span<byte> head = stackalloc byte[5];
        if (line.Length < head.Length)
            return false;
        line.Slice(0, head.Length).CopyTo(head);
        return System.Text.Ascii.EqualsIgnoreCase(head, "AUTH "u8);
    }

    private static bool IsAuthWithin(ReadOnlySequence<byte> line, int limit) => line.Length + 2 <= limit && StartsWithAuth(line);

    /// <summary>
    /// Message data after a 354. RFC 5321 §4.5.2: a line of the content that starts with a dot lost that dot, except the
    /// line "." that ends it. The library unstuffs only after a CRLF and reads from just after the DATA line, so the
    /// first line is done here, before the library sees any of it: a leading dot is consumed from the pipe (the library
    /// then reads <c>..hello</c> as <c>.hello</c>, and <c>..</c> as the line <c>.</c>, which it cannot take for the end: no
    /// CRLF before it). Later lines are the library's. Until the first octets tell (up to three: <c>.</c> CR LF), the
    /// library is handed nothing, so data split at any octet is read alike. The end of an empty message, <c>.</c> right
    /// after the 354, which the library would never find, is handed over as CRLF <c>.</c> CRLF: the message is empty.
    /// RFC 5321 §4.1.1.4: the CRLF before the final dot ends the content's last line and belongs to the content, but the
    /// library keeps it for its end marker. So the library is handed the data only once its end has come, and then with
    /// one more CRLF before the <c>.</c>: what it hands the store is the content with its final CRLF (a last empty line,
    /// or a message of one empty line, is kept). Until then nothing is handed over, so the library searches the data once.
    /// </summary>
    private async ValueTask<ReadResult> ReadDataAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await ReadInnerAsync(guard.DataDeadline(DateTime.UtcNow), cancellationToken).ConfigureAwait(false) is not { } result)
            {
                await guard.CloseAsync(LimitReplies.DataTimeout).ConfigureAwait(false);
                return EndOfInput;
            }
            var buffer = result.Buffer;
            if (!guard.ChargeBuffered(buffer.Length))
            {
                inner.AdvanceTo(buffer.Start, buffer.End);
                await guard.CloseAsync(LimitReplies.InflightOverflow).ConfigureAwait(false);
                return EndOfInput;
            }
            if (!_firstLineDone && !result.IsCanceled)
            {
                switch (FirstLine(buffer))
                {
                    case Lead.Undecided when !result.IsCompleted:
                        inner.AdvanceTo(buffer.Start, buffer.End);
                        continue;
                    case Lead.Stuffed:
                        _firstLineDone = true;
                        // The rest is read again at once (it was not examined).
                        inner.AdvanceTo(buffer.GetPosition(1));
                        continue;
                    case Lead.EndOfData:
                        _firstLineDone = true;
                        return Present(new ReadOnlySequence<byte>(EndMarker), buffer.Start, buffer.GetPosition(3));
                    case Lead.Plain:
                        _firstLineDone = true;
                        break;
                }
            }
            if (result.IsCanceled || result.IsCompleted)
            {
                _presented = buffer;
                return result;
            }
            // The end marker may arrive split across reads: a match may start in the last four octets searched.
            var reader = new SequenceReader<byte>(buffer);
            reader.Advance(_searched);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> _, EndMarker, advancePastDelimiter: false))
            {
                _searched = Math.Max(0, buffer.Length - (EndMarker.Length - 1));
                inner.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            var content = buffer.Slice(0, reader.Consumed + 2);
            return Present(Concatenated(content, EndMarker), buffer.Start, buffer.GetPosition(reader.Consumed + EndMarker.Length));
        }
    }

    /// <summary>Hands the library <paramref name="octets"/> in place of the pipe's octets up to <paramref name="to"/>.</summary>
    private ReadResult Present(ReadOnlySequence<byte> octets, SequencePosition from, SequencePosition to)
    {
        _rewritten = true;
        _rewrittenFrom = from;
        _rewrittenTo = to;
        _presented = octets;
        return new ReadResult(octets, isCanceled: false, isCompleted: false);
    }

    /// <summary><paramref name="head"/> (not copied) followed by <paramref name="tail"/>.</summary>
    private static ReadOnlySequence<byte> Concatenated(ReadOnlySequence<byte> head, byte[] tail)
    {
        MemorySegment? first = null, last = null;
        foreach (var memory in head)
        {
            if (memory.IsEmpty)
                continue;
            last = last is null ? first = new MemorySegment(memory, 0) : last.Append(memory);
        }
        last = last is null ? first = new MemorySegment(tail, 0) : last.Append(tail);
        return new ReadOnlySequence<byte>(first!, 0, last, last.Memory.Length);
    }

    private enum Lead
    {
        /// <summary>Too few octets yet to tell.</summary>
        Undecided,
        /// <summary>The first line does not start with a dot.</summary>
        Plain,
        /// <summary>A dot, then more on the line: the dot goes.</summary>
        Stuffed,
        /// <summary>The line "." at once: an empty message.</summary>
        EndOfData,
    }

    private static Lead FirstLine(ReadOnlySequence<byte> data)
    {
        Span<byte> head = stackalloc byte[3];
        var length = (int)Math.Min(data.Length, head.Length);
        data.Slice(0, length).CopyTo(head);
        if (length == 0)
            return Lead.Undecided;
        if (head[0] != (byte)'.')
            return Lead.Plain;
        if (length == 1)
            return Lead.Undecided;
        if (head[1] != (byte)'\r')
            return Lead.Stuffed;
        if (length == 2)
            return Lead.Undecided;
        // ".\r" and anything but LF: a bare CR, refused or normalised by the store; the dot is not the end's.
        return head[2] == (byte)'\n' ? Lead.EndOfData : Lead.Stuffed;
    }

    /// <summary>Reads from the inner pipe; null when <paramref name="deadline"/> passed first.</summary>
    private async ValueTask<ReadResult?> ReadInnerAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var wait = deadline - DateTime.UtcNow;
        if (wait <= TimeSpan.Zero)
            return null;
        if (_deadline is null || _deadlineLinkedTo != cancellationToken || !_deadline.TryReset())
        {
            _deadline?.Dispose();
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _deadlineLinkedTo = cancellationToken;
        }
        var timeout = _deadline;
        timeout.CancelAfter(wait);
        try
        {
            return await inner.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            // Disarmed between reads: the library may take its time with a command (the spool's fsync).
            if (!timeout.IsCancellationRequested)
                timeout.CancelAfter(Timeout.Infinite);
        }
    }

    /// <summary>The RCPT line with the configured postmaster in place of a bare <c>&lt;postmaster&gt;</c>, or null.</summary>
    private byte[]? PostmasterRcpt(ReadOnlySequence<byte> line)
    {
        if (line.Length is < 18 or > 512 || !MentionsPostmaster(line))
            return null;
        var text = Encoding.ASCII.GetString(line.ToArray());
        var match = BarePostmaster().Match(text);
        if (!match.Success)
            return null;
        return Encoding.ASCII.GetBytes($"{text[..match.Index]}<{guard.Limits.Postmaster}>{text[(match.Index + match.Length)..]}\r\n");
    }

    /// <summary>A RCPT line with "postmaster&gt;" in it: the only ones worth the regex (every other command skips it).</summary>
    private static bool MentionsPostmaster(ReadOnlySequence<byte> line)
    {
        Span<byte> text = stackalloc byte[512];
        text = text[..(int)line.Length];
        line.CopyTo(text);
        if (!System.Text.Ascii.EqualsIgnoreCase(text[..4], "RCPT"u8))
            return false;
        foreach (ref var b in text)
        {
            if (b is >= (byte)'A' and <= (byte)'Z')
                b |= 0x20;
        }
        return text.IndexOf("postmaster>"u8) >= 0;
    }

    // RFC 5321 §4.5.1: "postmaster" without a domain, in any case.
    [GeneratedRegex(@"(?<=^RCPT\s+TO:\s*)<postmaster>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BarePostmaster();
}
