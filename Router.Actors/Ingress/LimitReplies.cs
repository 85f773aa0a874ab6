using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>The replies of the listener's protective limits (README "Limits"), with their RFC 3463 enhanced codes.</summary>
public static class LimitReplies
{
    public const string TooManyConnectionsFromAddress = "421 4.7.0 Too many connections from your address, try again later";

    public const string TooManyErrors = "421 4.7.0 Too many errors, closing connection";

    public const string CommandTimeout = "421 4.4.2 Timeout waiting for a command, closing connection";

    public const string DataTimeout = "421 4.4.2 Timeout receiving message data, closing connection";

    public const string InflightOverflow = "421 4.3.2 Too much mail in flight, closing connection; try again later";

    /// <summary>RFC 5321 §4.2.2 names "500 Line too long"; X.5.2 is the syntax error code (X.5.6 is registered for AUTH lines only).</summary>
    public static string CommandLineTooLong(int max) => $"500 5.5.2 Line too long (at most {max} bytes with CRLF)";

    public static SmtpResponse TextLineTooLong(int max) =>
        new(SmtpReplyCode.MailboxUnavailable, $"5.6.0 Message refused: a line longer than {max} bytes with CRLF (RFC 5321 4.5.3.1.6)");

    /// <summary>RFC 6531 §3.5: a non-ASCII address in a transaction whose MAIL did not say SMTPUTF8 gets 553 5.6.7.</summary>
    public static readonly SmtpResponse NonAsciiAddress =
        new(SmtpReplyCode.MailboxNameNotAllowed, "5.6.7 Non-ASCII addresses need MAIL FROM with the SMTPUTF8 parameter");

    /// <summary>A control character in an address: no next hop would take it.</summary>
    public static readonly SmtpResponse BadSenderSyntax = new(SmtpReplyCode.SyntaxError, "5.1.7 Bad sender address syntax");

    public static readonly SmtpResponse BadRecipientSyntax = new(SmtpReplyCode.SyntaxError, "5.1.3 Bad recipient address syntax");

    public static readonly SmtpResponse InflightFull =
        new(SmtpReplyCode.InsufficientStorage, "4.3.1 Too much mail in flight, try again later");
}
