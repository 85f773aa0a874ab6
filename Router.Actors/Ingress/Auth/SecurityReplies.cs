using SmtpServer.Protocol;

namespace Router.Actors.Ingress.Auth;

/// <summary>The replies of STARTTLS and AUTH policy at the SMTP edge (RFC 3207, RFC 4954), with their enhanced codes.</summary>
public static class SecurityReplies
{
    /// <summary>RFC 3207 §4: the server requires TLS and the client has not started it.</summary>
    public static readonly SmtpResponse MustStartTls =
        new((SmtpReplyCode)530, "5.7.0 Must issue a STARTTLS command first");

    /// <summary>RFC 4954 §6: PLAIN and LOGIN may only be used once the connection is encrypted.</summary>
    public static readonly SmtpResponse EncryptionRequired =
        new((SmtpReplyCode)538, "5.7.11 Encryption required for requested authentication mechanism");

    public static readonly SmtpResponse AuthNotAvailable =
        new((SmtpReplyCode)502, "5.5.1 Authentication not available");

    /// <summary>RFC 4954 §4: a mechanism the server does not support.</summary>
    public static readonly SmtpResponse UnknownMechanism =
        new((SmtpReplyCode)504, "5.5.4 Unrecognized authentication type");

    /// <summary>RFC 4954 §4: a client response that is not valid base64, or not a valid PLAIN message.</summary>
    public static readonly SmtpResponse CannotDecode =
        new((SmtpReplyCode)501, "5.5.2 Cannot decode the authentication response");

    /// <summary>RFC 4954 §4: the client answered a challenge with "*".</summary>
    public static readonly SmtpResponse Cancelled =
        new((SmtpReplyCode)501, "5.7.0 Authentication cancelled");

    /// <summary>RFC 4954 §6.</summary>
    public static readonly SmtpResponse InvalidCredentials =
        new((SmtpReplyCode)535, "5.7.8 Authentication credentials invalid");

    /// <summary>The session's last allowed failure: the connection is closed after this reply.</summary>
    public static readonly SmtpResponse TooManyFailures =
        new((SmtpReplyCode)421, "4.7.0 Too many failed authentication attempts, closing connection");

    /// <summary>The client address has failed too often lately (RFC 4954 §6: temporary authentication failure).</summary>
    public static readonly SmtpResponse ClientBlocked =
        new((SmtpReplyCode)454, "4.7.0 Too many failed authentication attempts from your address, try again later");
}
