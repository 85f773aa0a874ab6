using Router.Actors.Ingress.Auth;

namespace Router.Actors.Ingress;

/// <summary>
/// Why the SMTP edge refused something, as the <c>reason</c> label of <c>router_smtp_refused_total</c>:
/// a small fixed set (bounded cardinality). Every reply line a session writes passes the session's
/// <see cref="SessionGuard"/>, which classifies its 4xx and 5xx final lines here by their code and
/// text, the router's own replies (<see cref="SmtpReplies"/>, <see cref="LimitReplies"/>,
/// <see cref="SecurityReplies"/>) and the library's; connections turned away before a session are
/// counted by the listener.
/// </summary>
public static class RefusalReason
{
    public const string RelayDenied = "relay_denied";
    public const string NoRoute = "no_route";
    public const string AuthFailed = "auth_failed";
    public const string AuthBlocked = "auth_blocked";
    public const string TlsRequired = "tls_required";
    public const string Connections = "connections";
    public const string ConnectionsPerIp = "connections_per_ip";
    public const string TooManyErrors = "too_many_errors";
    public const string Timeout = "timeout";
    public const string LineTooLong = "line_too_long";
    public const string Inflight = "inflight";
    public const string BackPressure = "back_pressure";
    public const string MessageTooBig = "message_too_big";
    public const string BareLineEnding = "bare_line_ending";
    public const string Loop = "loop";
    public const string TooManyRecipients = "too_many_recipients";
    public const string BadAddress = "bad_address";
    public const string ShuttingDown = "shutting_down";
    /// <summary>550 5.1.1 at RCPT: a recipient at a relay domain not in the list or refused by the internal server's callout.</summary>
    public const string UnknownRecipient = "unknown_recipient";
    /// <summary>451 4.4.x at RCPT: the callout to the internal server failed temporarily.</summary>
    public const string RecipientVerification = "recipient_verification";
    /// <summary>530 5.7.0 at MAIL on a listener with <c>auth.required</c>.</summary>
    public const string AuthRequired = "auth_required";
    public const string StoreFailed = "store_failed";
    /// <summary>Any other 4xx or 5xx: unknown commands, bad sequence, syntax the library refuses.</summary>
    public const string Protocol = "protocol";

    public static IReadOnlyList<string> All { get; } =
    [
        RelayDenied, NoRoute, AuthFailed, AuthBlocked, TlsRequired, Connections, ConnectionsPerIp, TooManyErrors, Timeout, LineTooLong,
        Inflight, BackPressure, MessageTooBig, BareLineEnding, Loop, TooManyRecipients, BadAddress, ShuttingDown, StoreFailed,
        UnknownRecipient, RecipientVerification, AuthRequired, Protocol,
    ];

    /// <summary>
    /// The reason of one reply line as sent (<c>"554 5.7.1 Relay access denied"</c>), or null when
    /// it is no refusal (2xx, 3xx) or not a final line.
    /// </summary>
    public static string? Of(string line)
    {
        if (line.Length < 4 || line[3] != ' ' || line[0] is not ('4' or '5'))
            return null;
        var text = line.AsSpan(4);
        return text switch
        {
            _ when Has(text, "Relay access denied") => RelayDenied,
            _ when Has(text, "Recipient address rejected: User unknown") => UnknownRecipient,
            _ when Has(text, "Recipient verification failed") => RecipientVerification,
            _ when text.StartsWith("5.7.0 Authentication required") => AuthRequired,
            _ when Has(text, "No route to domain") => NoRoute,
            _ when Has(text, "Too many failed authentication attempts") => AuthBlocked,
            _ when text.StartsWith("5.7.8") || text.StartsWith("5.7.0 Authentication cancelled") || Has(text, "authentication response")
                || Has(text, "Authentication not available") || Has(text, "Unrecognized authentication type") => AuthFailed,
            _ when Has(text, "STARTTLS") || text.StartsWith("5.7.11") => TlsRequired,
            _ when Has(text, "Too many connections from your address") => ConnectionsPerIp,
            _ when Has(text, "Too many connections") => Connections,
            _ when Has(text, "Too many errors") => TooManyErrors,
            _ when Has(text, "Timeout") => Timeout,
            _ when Has(text, "Line too long") || Has(text, "a line longer than") => LineTooLong,
            _ when Has(text, "Too much mail in flight") => Inflight,
            _ when Has(text, "Insufficient system storage") => BackPressure,
            _ when line.StartsWith("552", StringComparison.Ordinal) || text.StartsWith("5.3.4") => MessageTooBig,
            _ when Has(text, "lines must end with CRLF") => BareLineEnding,
            _ when text.StartsWith("5.4.6") => Loop,
            _ when text.StartsWith("4.5.3") => TooManyRecipients,
            _ when text.StartsWith("5.6.7") || text.StartsWith("5.1.7") || text.StartsWith("5.1.3") => BadAddress,
            _ when Has(text, "shutting down") => ShuttingDown,
            _ when Has(text, "storing the message") => StoreFailed,
            _ => Protocol,
        };
    }

    private static bool Has(ReadOnlySpan<char> text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
