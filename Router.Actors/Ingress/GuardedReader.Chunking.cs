using System.Buffers;

namespace Router.Actors.Ingress;

/// <summary>
/// CHUNKING (RFC 3030) in front of the SMTP library, which knows only DATA. A BDAT line never reaches the library:
/// the reader reads the chunk's octets itself (binary: no line limit; data-timeout and data-total-timeout per chunk,
/// charged to the in-flight budget, bounded by the message size limit) and answers each chunk but the last with 250.
/// After the last chunk it hands the library <c>DATA</c> and the chunks dot-stuffed (<see cref="ChunkBuffer"/>), as
/// if the client had sent them so; the library's 354 is not passed on, so the client sees the store's reply only.
/// Any other chunk is answered by handing the library NOOP, whose 250 the router's reply replaces; a chunk refused for
/// its size or the budget ends the transaction: the library is handed RSET instead. Pipelined chunks are read exactly,
/// so the next command stays in the pipe.
/// </summary>
internal sealed partial class GuardedReader
{
    // What the reader handed the library in the client's place (DATA and the chunks, or RSET), not yet consumed.
    private ReadOnlySequence<byte>? _handed;
    // The handed DATA line was consumed: what is left is message data.
    private bool _handedBody;

    private static readonly byte[] ResetLine = "RSET\r\n"u8.ToArray();
    private static readonly byte[] NoopLine = "NOOP\r\n"u8.ToArray();

    private enum Bdat
    {
        /// <summary>The next command line is to be read (the chunk was answered).</summary>
        Next,
        /// <summary>The library has a handed command to read.</summary>
        Handed,
        /// <summary>The session was closed, or the client went away.</summary>
        End,
    }

    /// <summary>
    /// Runs a BDAT command whose line is consumed already. Once its chunk is read, the library is always handed a command:
    /// DATA after the last chunk, RSET after a refused one, NOOP otherwise, the router's reply replacing the library's.
    /// So the library's own wait for a command (command-timeout + 30 s) starts afresh at each chunk, as it does at each
    /// command, instead of running over a whole multi-chunk message.
    /// </summary>
    private async ValueTask<Bdat> RunBdatAsync(BdatCommand? command, CancellationToken cancellationToken)
    {
        if (command is null)
        {
            // Without a size the octets that follow cannot be told from commands; they are read as commands.
            await guard.ReplyAsync(ChunkingReplies.Syntax).ConfigureAwait(false);
            return Bdat.Next;
        }
        if (guard.RefuseChunk(command.Size) is { } refusal)
        {
            // RFC 3030 §2: the octets of a refused chunk are read and dropped.
            if (!await ReadChunkAsync(command.Size, null, cancellationToken).ConfigureAwait(false))
                return Bdat.End;
            if (refusal.Reset)
                guard.DiscardChunks();
            guard.HandInstead(refusal.Reply);
            Hand(refusal.Reset ? ResetLine : NoopLine);
            return Bdat.Handed;
        }
        var chunks = guard.TakeChunks();
        if (!await ReadChunkAsync(command.Size, chunks, cancellationToken).ConfigureAwait(false))
            return Bdat.End;
        if (!command.Last)
        {
            guard.HandInstead(ChunkingReplies.Received(command.Size));
            Hand(NoopLine);
            return Bdat.Handed;
        }
        var message = chunks.HandOver();
        guard.ChargeBuffered(chunks.Buffered);
        guard.HandData();
        Hand(message);
        return Bdat.Handed;
    }

    private void Hand(byte[] line) => Hand(new ReadOnlySequence<byte>(line));

    private void Hand(ReadOnlySequence<byte> octets)
    {
        _handed = octets;
        _handedBody = false;
    }

    /// <summary>
    /// Reads exactly <paramref name="size"/> octets from the client into <paramref name="chunks"/>, or drops them (null).
    /// False when the session ended on the way: a client silent past data-timeout or data-total-timeout (421 4.4.2), a
    /// chunk that overdraws the in-flight budget (421 4.3.2), or the client gone.
    /// </summary>
    private async ValueTask<bool> ReadChunkAsync(long size, ChunkBuffer? chunks, CancellationToken cancellationToken)
    {
        guard.ChunkStarted();
        var left = size;
        while (left > 0)
        {
            if (await ReadInnerAsync(guard.DataDeadline(DateTime.UtcNow), cancellationToken).ConfigureAwait(false) is not { } result)
            {
                await guard.CloseAsync(LimitReplies.DataTimeout).ConfigureAwait(false);
                return false;
            }
            var buffer = result.Buffer;
            var take = buffer.Slice(0, Math.Min(left, buffer.Length));
            chunks?.Append(take);
            inner.AdvanceTo(take.End);
            left -= take.Length;
            if (chunks is not null && !guard.ChargeBuffered(chunks.Buffered))
            {
                await guard.CloseAsync(LimitReplies.InflightOverflow).ConfigureAwait(false);
                return false;
            }
            if (left > 0 && result.IsCompleted)
                return false;
        }
        return true;
    }

    /// <summary>A DATA command line (nothing may follow the verb, RFC 5321 §4.1.1.4).</summary>
    private static bool IsData(ReadOnlySequence<byte> line)
    {
        if (line.Length is < 4 or > 16)
            return false;
        Span<byte> text = stackalloc byte[(int)line.Length];
        line.CopyTo(text);
        return System.Text.Ascii.EqualsIgnoreCase(text.TrimEnd((byte)' '), "DATA"u8);
    }
}
