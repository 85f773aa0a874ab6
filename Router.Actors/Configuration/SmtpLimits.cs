namespace Router.Actors.Configuration;

/// <summary>
/// The protective limits of the SMTP listener (keys under <c>router.smtp</c>): what one client or
/// one session may hold, how long it may stall, and how much message data may sit in memory.
/// </summary>
public sealed record SmtpLimits
{
    /// <summary>RFC 5321 §4.5.3.1.4: a command line, CRLF included, may be this long; a server may not demand less.</summary>
    public const int MinCommandLineLength = 512;

    /// <summary>RFC 5321 §4.5.3.1.6: a text line of DATA, CRLF included, may be this long; a server may not demand less.</summary>
    public const int MinTextLineLength = 1000;

    /// <summary>Multiplier of <c>max-message-size</c> for <c>max-inflight-bytes = auto</c>.</summary>
    public const int InflightMessagesAuto = 8;

    /// <summary><c>max-connections-per-ip</c>: concurrent sessions from one client address (loopback included); more get 421 4.7.0. Default 50.</summary>
    public int MaxConnectionsPerIp { get; init; } = 50;

    /// <summary><c>max-command-line-length</c>: bytes, CRLF included; longer lines get 500 5.5.2 and are discarded. At least 512. Default 512.</summary>
    public int MaxCommandLineLength { get; init; } = MinCommandLineLength;

    /// <summary><c>max-text-line-length</c>: bytes, CRLF included, of a line of message data; a message with a longer line gets 550 5.6.0. At least 1000. Default 1000.</summary>
    public int MaxTextLineLength { get; init; } = MinTextLineLength;

    /// <summary><c>max-errors</c>: error (5xx) replies one session may earn before it gets 421 4.7.0 and is closed. Default 10.</summary>
    public int MaxErrors { get; init; } = 10;

    /// <summary><c>data-timeout</c>: longest silence while the client sends message data (RFC 5321 §4.5.3.2.6 suggests 3 min). Default 3 min.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary><c>data-total-timeout</c>: longest the whole message data may take to arrive (RFC 5321 §4.5.3.2.6's 10 min). Default 10 min.</summary>
    public TimeSpan DataTotalTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <c>max-inflight-bytes</c>: message data held in memory by all sessions together. <c>auto</c>
    /// (the default) is <see cref="InflightMessagesAuto"/> × max-message-size. At least max-message-size.
    /// </summary>
    public long MaxInflightBytes { get; init; } = InflightMessagesAuto * 36_700_160L;

    /// <summary>
    /// <c>postmaster</c>: where <c>RCPT TO:&lt;postmaster&gt;</c> (no domain, RFC 5321 §4.5.1) goes; the
    /// template may contain <c>{hostname}</c>, here already expanded. Default <c>postmaster@{hostname}</c>.
    /// </summary>
    public string Postmaster { get; init; } = "postmaster@router.localdomain";
}
