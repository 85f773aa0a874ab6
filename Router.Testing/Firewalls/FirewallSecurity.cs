using System.Security.Cryptography.X509Certificates;

namespace Router.Testing.Firewalls;

/// <summary>
/// What a <see cref="FakeFirewall"/> demands of its clients: STARTTLS with a certificate, and AUTH with one user
/// name and password. The default is neither: plain text, no AUTH offered.
/// </summary>
public sealed record FirewallSecurity
{
    public static FirewallSecurity None { get; } = new();

    /// <summary>When set, EHLO offers STARTTLS (TLS 1.2 and 1.3) and the handshake presents this certificate.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>With <see cref="Password"/>: AUTH (PLAIN, LOGIN) is required before MAIL, and only these credentials pass.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>AUTH is offered on a connection without TLS too (SmtpServer offers it only after STARTTLS otherwise).</summary>
    public bool AllowInsecureAuth { get; init; }

    internal bool RequiresAuth => User is not null && Password is not null;
}
