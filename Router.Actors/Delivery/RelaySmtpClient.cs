using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// MailKit's client, bent into a relay: never re-encodes the message, reports the exact stored
/// size, collects per-recipient rejections instead of throwing on the first one, and waits longer
/// for the reply to the final dot than for ordinary commands.
/// </summary>
internal sealed class RelaySmtpClient : SmtpClient
{
    private readonly List<(MailboxAddress Mailbox, SmtpResponse Response)> _rejected = [];

    public RelaySmtpClient()
    {
    }

    /// <summary>With a protocol logger that sees the session's commands (see <see cref="SessionPhase"/>).</summary>
    public RelaySmtpClient(IProtocolLogger protocolLogger)
        : base(protocolLogger)
    {
    }

    /// <summary>Exact byte length of the message being sent, for SIZE=.</summary>
    public long MessageSize { get; set; }

    /// <summary>Per-operation timeout for MAIL/RCPT and other commands, in milliseconds.</summary>
    public int CommandTimeoutMs { get; set; } = 30_000;

    /// <summary>Timeout for sending DATA and waiting for its reply, in milliseconds.</summary>
    public int DataTimeoutMs { get; set; } = 600_000;

    public IReadOnlyList<(MailboxAddress Mailbox, SmtpResponse Response)> Rejected => _rejected;

    /// <summary>
    /// The health probe's transaction: <c>MAIL FROM:&lt;&gt;</c> then <c>RSET</c>, no recipient, no data. Any reply
    /// to MAIL is an answer (a firewall may refuse the null sender); only silence or a broken connection is not.
    /// </summary>
    /// <returns>How long the reply to MAIL took.</returns>
    public async Task<TimeSpan> ProbeTransactionAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await SendCommandAsync("MAIL FROM:<>", cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpCommandException)
        {
            // Refused, but answered.
        }
        var mail = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        await SendCommandAsync("RSET", cancellationToken).ConfigureAwait(false);
        return mail;
    }

    /// <summary>Called after each reply to MAIL FROM and RCPT TO is processed (the latency detector's <see cref="TransactionHedge"/>).</summary>
    public Action? ReplyReceived { get; set; }

    private Dictionary<string, DeliveryStatusNotification>? _notify;
    private string? _envelopeId;

    /// <summary>Starts a transaction; the DSN parameters the client gave go on to the firewall (when it offers DSN).</summary>
    public void BeginTransaction(DeliveryJob job)
    {
        _rejected.Clear();
        Timeout = CommandTimeoutMs;
        _envelopeId = job.EnvelopeId;
        DeliveryStatusNotificationType = job.Return?.ToUpperInvariant() switch
        {
            "FULL" => DeliveryStatusNotificationType.Full,
            "HDRS" => DeliveryStatusNotificationType.HeadersOnly,
            _ => DeliveryStatusNotificationType.Unspecified,
        };
        _notify = null;
        if (job.Notify is { } notify)
        {
            _notify = new Dictionary<string, DeliveryStatusNotification>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < job.Recipients.Count; i++)
                if (Parse(notify[i]) is { } value)
                    _notify[job.Recipients[i]] = value;
        }
    }

    protected override string? GetEnvelopeId(MimeMessage message) => _envelopeId;

    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) =>
        _notify is not null && _notify.TryGetValue(mailbox.Address, out var value) ? value : null;

    private static DeliveryStatusNotification? Parse(string? notify)
    {
        if (string.IsNullOrEmpty(notify))
            return null;
        if (notify.Equals("NEVER", StringComparison.OrdinalIgnoreCase))
            return DeliveryStatusNotification.Never;
        var value = default(DeliveryStatusNotification);
        foreach (var part in notify.Split(','))
        {
            value |= part.Trim().ToUpperInvariant() switch
            {
                "SUCCESS" => DeliveryStatusNotification.Success,
                "FAILURE" => DeliveryStatusNotification.Failure,
                "DELAY" => DeliveryStatusNotification.Delay,
                _ => default,
            };
        }
        return value == default ? null : value;
    }

    // The relay forwards bytes as received; MimeKit's Prepare would re-encode 8bit content.
    protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
    {
    }

    // Measuring would serialise the whole message once more just to count it.
    protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => MessageSize;

    // The same for SendAsync, which asks GetSizeAsync: without this the whole message was written once to a
    // measuring stream before MAIL FROM, which also marked it as sent (DataSent) before any data went out.
    protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        Task.FromResult(MessageSize);

    // Firewalls that scan content can take minutes to answer the final dot (RFC 5321 §4.5.3.2.6
    // allows 10 minutes), while MAIL/RCPT should answer fast. MailKit has one timeout, so it is
    // raised once the recipients are through.
    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        Timeout = DataTimeoutMs;
        ReplyReceived?.Invoke();
    }

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        _rejected.Add((mailbox, response));
        ReplyReceived?.Invoke();
    }

    protected override void OnSenderAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        base.OnSenderAccepted(message, mailbox, response);
        ReplyReceived?.Invoke();
    }
}
