using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Router.Actors.Configuration;

/// <summary><c>router.smtp.tls</c>: STARTTLS on the SMTP listener.</summary>
public sealed record SmtpTlsOptions
{
    /// <summary>TLS 1.2 and 1.3; the SMTP library alone would offer TLS 1.2 only.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// <c>certificate</c> (with <c>key</c> and <c>password</c>): the server certificate and its private
    /// key, loaded at start-up. Default none: STARTTLS is not offered.
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary><c>certificate</c>: the file it was loaded from, for the log.</summary>
    public string? CertificatePath { get; init; }

    /// <summary><c>required</c>: MAIL before STARTTLS gets 530 5.7.0. Needs a certificate. Default off.</summary>
    public bool Required { get; init; }

    /// <summary><c>handshake-timeout</c>: longest a client may take over the TLS handshake after STARTTLS; then the connection is closed. Default 30s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
