using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Router.Actors.Configuration;
using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// One SMTP session's protective limits (README "Limits"): it knows whether the session is
/// receiving message data, counts its error replies, holds the deadlines of the command or data
/// being awaited and its charge on the <see cref="InflightBudget"/>, and closes the session with
/// a 421 when a limit is passed. The <see cref="GuardedReader"/> and the reply writer of
/// <see cref="PolishedPipe"/> report to it; once closed, the session reads end-of-input and its
/// further output is dropped, so the library ends the session quietly.
/// </summary>
/// <param name="refused">Told the reason of each refusal the session writes (<see cref="RefusalReason"/>): the metrics.</param>
internal sealed class SessionGuard(SmtpLimits limits, TimeSpan commandTimeout, InflightBudget budget, Action<string>? refused = null)
{
    private const string Key = "Router:Guard";

    private int _errors;
    private long _charged;
    private long _declaredSize;
    private int _closed;
    private DateTime _dataStarted;
    private ChunkBuffer? _chunks;
    private bool _handedData;
    // A command the reader handed the library in the client's place, whose reply is the router's to give (see Shown).
    private Handed _handed;
    private string? _handedReply;

    private enum Handed
    {
        None,
        Data,
        Replaced,
    }

    public SmtpLimits Limits { get; } = limits;

    /// <summary>The session's state (its transaction, its listener's message size limit); set when the session's pipe is made.</summary>
    public SessionState? Session { get; set; }

    public TimeSpan CommandTimeout { get; } = commandTimeout;

    /// <summary>Where replies the guard writes itself go (the session's current, polished output).</summary>
    public Func<PipeWriter>? Output { get; set; }

    /// <summary>True between the 354 go-ahead and the end of the message data.</summary>
    public bool InData { get; private set; }

    public bool Closed => Volatile.Read(ref _closed) != 0;

    /// <summary>The last reply was a 334 challenge: the next line is an AUTH response, not a command.</summary>
    public bool AwaitingChallengeResponse { get; private set; }

    /// <summary>
    /// RFC 4954 section 4: AUTH lines and responses to its challenges may be up to 12288 octets
    /// (an initial response or a Kerberos ticket outgrows the 512 of RFC 5321).
    /// </summary>
    public const int MaxAuthLineLength = 12288;

    /// <summary>When the data being received must be complete: the silence allowed, capped by the whole-DATA limit.</summary>
    public DateTime DataDeadline(DateTime now)
    {
        var idle = now + Limits.DataTimeout;
        var total = _dataStarted + Limits.DataTotalTimeout;
        return idle < total ? idle : total;
    }

    public static SessionGuard? Of(ISessionContext context) =>
        context.Properties.TryGetValue(Key, out var value) ? value as SessionGuard : null;

    public void Attach(ISessionContext context) => context.Properties[Key] = this;

    /// <summary>
    /// Sees each reply line the session writes. Returns a line to send right after it (the 421 that
    /// ends a session past max-errors) or null.
    /// </summary>
    public string? OnReplyLine(string line)
    {
        if (line.Length < 3 || (line.Length > 3 && line[3] != ' '))
            return null;
        AwaitingChallengeResponse = line.StartsWith("334", StringComparison.Ordinal);
        if (line.StartsWith("354", StringComparison.Ordinal))
        {
            InData = true;
            _dataStarted = DateTime.UtcNow;
            return null;
        }
        if (refused is not null && RefusalReason.Of(line) is { } reason)
            refused(reason);
        if (line[0] == '5' && Interlocked.Increment(ref _errors) == Limits.MaxErrors)
        {
            refused?.Invoke(RefusalReason.TooManyErrors);
            return LimitReplies.TooManyErrors;
        }
        return null;
    }

    /// <summary>
    /// Called as the library starts a command: MAIL with a SIZE the in-flight budget cannot take,
    /// and DATA while the budget is spent, are refused with 452 4.3.1. A non-ASCII address (read
    /// from the line as sent, <paramref name="session"/>) is refused with 553 5.6.7 unless the
    /// transaction's MAIL carried SMTPUTF8 (RFC 6531 §3.5), and then must be valid UTF-8 with a
    /// domain that converts to A-labels.
    /// </summary>
    public void OnCommandExecuting(SmtpCommand command, SessionState? session = null)
    {
        var international = false;
        if (command is MailCommand or RcptCommand && session?.Pending is { } line && !Ascii.IsValid(line.Address))
        {
            var mail = line.Verb == EsmtpVerb.Mail;
            var smtputf8 = mail ? line.Parameters.Any(p => p.Keyword.Equals("SMTPUTF8", StringComparison.OrdinalIgnoreCase)) : session.Smtputf8;
            if (!smtputf8)
                throw new SmtpResponseException(LimitReplies.NonAsciiAddress);
            if (!InternationalMail.IsValidAddress(line.Address))
                throw new SmtpResponseException(mail ? LimitReplies.BadSenderSyntax : LimitReplies.BadRecipientSyntax);
            international = true;
        }
        switch (command)
        {
            case MailCommand { Address: { } from } when !international && (!Ascii.IsValid(from.User) || !Ascii.IsValid(from.Host)):
                throw new SmtpResponseException(LimitReplies.NonAsciiAddress);
            case RcptCommand { Address: { } to } when !international && (!Ascii.IsValid(to.User) || !Ascii.IsValid(to.Host)):
                throw new SmtpResponseException(LimitReplies.NonAsciiAddress);
            case MailCommand { Address: { } from } when !international && (HasControl(from.User) || BadDomain(from.Host)):
                throw new SmtpResponseException(LimitReplies.BadSenderSyntax);
            case RcptCommand { Address: { } to } when !international && (HasControl(to.User) || BadDomain(to.Host)):
                throw new SmtpResponseException(LimitReplies.BadRecipientSyntax);
            case MailCommand mail:
                _declaredSize = mail.Parameters is not null && mail.Parameters.TryGetValue("SIZE", out var size)
                    && long.TryParse(size, out var declared) && declared > 0 ? declared : 0;
                if (_declaredSize > 0 && !budget.Admits(_declaredSize))
                    throw new SmtpResponseException(LimitReplies.InflightFull);
                break;
            case DataCommand when _handedData:
                // The DATA that carries BDAT chunks: the budget admitted the transaction at its first chunk and holds its octets.
                _handedData = false;
                break;
            case DataCommand when !budget.Admits(_declaredSize):
                throw new SmtpResponseException(LimitReplies.InflightFull);
        }
    }

    // The library decodes command lines as ASCII: an 8-bit byte arrives as '?', which no domain
    // may hold; a control character has no place in an address either.
    private static bool HasControl(string? text) => text is not null && text.Any(char.IsControl);

    private static bool BadDomain(string? host) =>
        !string.IsNullOrEmpty(host) && !Router.Actors.Routing.DomainName.TryNormalize(host, out _, out _);

    /// <summary>The BDAT chunks of the transaction under way; null before its first chunk.</summary>
    public ChunkBuffer? Chunks => _chunks;

    /// <summary>
    /// Why a BDAT chunk of <paramref name="size"/> octets cannot be taken now, or null. <c>Reset</c>: the transaction
    /// is over (its chunks so far are dropped and the library's transaction is reset), as after a failed DATA.
    /// </summary>
    public (string Reply, bool Reset)? RefuseChunk(long size)
    {
        if (Session is not { ReadyForChunks: true } session)
            return (ChunkingReplies.NoTransaction, false);
        if (session.DataIssued)
            return (ChunkingReplies.Mixed, false);
        // As at DATA: a transaction starts its data only while the budget can take it (its SIZE=, if declared).
        if (_chunks is null && !budget.Admits(_declaredSize))
            return (ChunkingReplies.InflightFull, true);
        if (session.MaxMessageSize is { } max && (_chunks?.Length ?? 0) + size > max)
            return (ChunkingReplies.MessageTooBig(max), true);
        return null;
    }

    /// <summary>The chunk buffer of the transaction, made at its first chunk.</summary>
    public ChunkBuffer TakeChunks() => _chunks ??= new ChunkBuffer();

    /// <summary>A chunk's octets start: data-timeout and data-total-timeout apply to each chunk as to the data of DATA.</summary>
    public void ChunkStarted() => _dataStarted = DateTime.UtcNow;

    /// <summary>RSET, HELO/EHLO or the end of a message's data: the transaction's chunks are dropped and their charge returned.</summary>
    public void DiscardChunks() => Release();

    /// <summary>The reader hands the library DATA and the chunks: its 354 go-ahead is not the client's to see.</summary>
    public void HandData()
    {
        _handedData = true;
        _handed = Handed.Data;
    }

    /// <summary>
    /// The reader hands the library NOOP (a chunk answered) or RSET (a chunk refused, the transaction ended):
    /// <paramref name="reply"/> replaces its 250.
    /// </summary>
    public void HandInstead(string reply)
    {
        _handedReply = reply;
        _handed = Handed.Replaced;
    }

    /// <summary>
    /// The reply line the client sees for one the session writes: the same, or, for the reply to a command the reader
    /// handed the library in the client's place, the router's reply (null: none, for the 354 of a handed DATA).
    /// </summary>
    public string? Shown(string line)
    {
        if (_handed == Handed.None || line.Length < 3 || (line.Length > 3 && line[3] != ' '))
            return line;
        var handed = _handed;
        _handed = Handed.None;
        if (handed == Handed.Data && line.StartsWith("354", StringComparison.Ordinal))
            return null;
        if (handed == Handed.Replaced && line.StartsWith("250", StringComparison.Ordinal))
            return _handedReply;
        // The library refused the handed command (it should not): its reply stands.
        _handedData = false;
        return line;
    }

    /// <summary>Charges what the session now buffers of its message data; false when that overdraws the budget.</summary>
    public bool ChargeBuffered(long buffered)
    {
        var delta = buffered - _charged;
        if (delta == 0)
            return true;
        _charged = buffered;
        return budget.Charge(delta);
    }

    /// <summary>The message data was consumed: the charge is returned and commands follow.</summary>
    public void DataEnded()
    {
        InData = false;
        Release();
    }

    public void Release()
    {
        _chunks = null;
        var charged = Interlocked.Exchange(ref _charged, 0);
        if (charged != 0)
            budget.Charge(-charged);
    }

    /// <summary>Marks the session closed once the reply that says so has been written by the reply writer.</summary>
    public void MarkClosed()
    {
        Volatile.Write(ref _closed, 1);
        Release();
    }

    /// <summary>Writes <paramref name="reply"/> and closes the session.</summary>
    public async ValueTask CloseAsync(string reply)
    {
        if (Closed)
            return;
        await ReplyAsync(reply).ConfigureAwait(false);
        MarkClosed();
    }

    /// <summary>Writes one reply line of the guard's own (one with its exact codes already).</summary>
    public async ValueTask ReplyAsync(string reply)
    {
        if (Output?.Invoke() is not { } output)
            return;
        try
        {
            output.Write(Encoding.ASCII.GetBytes(reply + "\r\n"));
            await output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The client is gone; the session ends either way.
        }
    }
}
