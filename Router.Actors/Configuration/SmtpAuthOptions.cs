using Router.Actors.Ingress.Auth;

namespace Router.Actors.Configuration;

/// <summary><c>router.smtp.auth</c>: SMTP AUTH (PLAIN and LOGIN) on the listener.</summary>
public sealed record SmtpAuthOptions
{
    /// <summary>
    /// <c>users</c>: user name (exact, case-sensitive) to salted password hash. Default none: AUTH
    /// is not offered and every attempt is refused.
    /// </summary>
    public IReadOnlyDictionary<string, PasswordHash> Users { get; init; } = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);

    /// <summary><c>allow-insecure</c>: offer and accept AUTH before STARTTLS (passwords in clear text). Default off.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary><c>max-failures</c>: failed AUTH attempts in one session; the last one gets 421 4.7.0 and the connection is closed. Default 3.</summary>
    public int MaxFailures { get; init; } = 3;

    /// <summary><c>max-failures-per-client</c>: failed AUTH attempts from one client address within <see cref="FailureWindow"/>; past it AUTH gets 454 4.7.0. Default 10.</summary>
    public int MaxFailuresPerClient { get; init; } = 10;

    /// <summary><c>failure-window</c>: how long a client's failed attempts count. Default 15m.</summary>
    public TimeSpan FailureWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>AUTH is offered at all: at least one user is configured.</summary>
    public bool Enabled => Users.Count > 0;
}
