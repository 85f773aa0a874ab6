using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>The replies the router gives at the SMTP edge, with their RFC 3463 enhanced codes.</summary>
public static class SmtpReplies
{
    public static SmtpResponse Queued(string queueId) => new(SmtpReplyCode.Ok, $"2.0.0 Ok: queued as {queueId}");

    public static SmtpResponse MessageTooBig(long max) =>
        new(SmtpReplyCode.SizeLimitExceeded, $"5.3.4 Message size exceeds fixed maximum message size ({max} bytes)");

    public static SmtpResponse TooManyRecipients(int max) =>
        new((SmtpReplyCode)452, $"4.5.3 Too many recipients (at most {max} per message)");

    public static readonly SmtpResponse RelayDenied =
        new(SmtpReplyCode.TransactionFailed, "5.7.1 Relay access denied");

    public static SmtpResponse NoRoute(string domain) =>
        new(SmtpReplyCode.MailboxUnavailable, $"5.7.1 No route to domain {domain}");

    public static readonly SmtpResponse BadRecipient =
        new(SmtpReplyCode.MailboxNameNotAllowed, "5.1.3 Bad recipient address syntax");

    public static readonly SmtpResponse TemporaryFailure =
        new(SmtpReplyCode.Aborted, "4.3.0 Temporary failure storing the message, try again later");

    public static SmtpResponse BareLineEnding(string problem) =>
        new(SmtpReplyCode.MailboxUnavailable, $"5.6.0 Message refused: {problem} in the data; lines must end with CRLF");

    public static SmtpResponse MailLoop(int maxHops) =>
        new(SmtpReplyCode.TransactionFailed, $"5.4.6 Too many hops (more than {maxHops} Received headers): mail loop");

    public static readonly SmtpResponse InsufficientStorage =
        new(SmtpReplyCode.InsufficientStorage, "4.3.1 Insufficient system storage, try again later");

    /// <summary>Shadow redundancy is required and no peer acknowledged the copy in time: not a 250 without redundancy.</summary>
    public static readonly SmtpResponse NoShadowCopy =
        new(SmtpReplyCode.Aborted, "4.4.0 No peer could hold a redundant copy in time, try again later");

    public static readonly SmtpResponse ShuttingDown =
        new(SmtpReplyCode.ServiceUnavailable, "4.3.2 Service shutting down, try again later");
}
