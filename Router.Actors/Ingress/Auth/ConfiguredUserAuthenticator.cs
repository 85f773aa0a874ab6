using System.Text;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress.Auth;

/// <summary>
/// Checks AUTH PLAIN and LOGIN credentials against the users of <c>smtp.auth.users</c> (salted
/// PBKDF2 hashes). Replaces the SMTP library's default authenticator, which accepts anyone. A
/// failure is answered 535 5.7.8; the session's <c>max-failures</c>-th gets 421 4.7.0 and the
/// connection is closed; every failure counts against the client address (<see cref="AuthFailureLimiter"/>).
/// </summary>
internal sealed class ConfiguredUserAuthenticator : IUserAuthenticator
{
    private const string FailuresKey = "Router:AuthFailures";

    private readonly SmtpAuthOptions _auth;
    private readonly AuthFailureLimiter _limiter;
    private readonly ILogger _logger;
    // An unknown user costs as much as a known one, so timing does not tell which names exist.
    private readonly Lazy<PasswordHash> _decoy;

    public ConfiguredUserAuthenticator(SmtpAuthOptions auth, AuthFailureLimiter limiter, ILogger logger)
    {
        _auth = auth;
        _limiter = limiter;
        _logger = logger;
        _decoy = new Lazy<PasswordHash>(() => PasswordHash.Create(Guid.NewGuid().ToString(),
            auth.Users.Count > 0 ? auth.Users.Values.Max(u => u.Iterations) : PasswordHash.MinIterations));
    }

    public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        EdgeSecurityPolicy.EndExchange(context);
        var client = SessionState.ClientAddress(context);
        // Another session of the same client may have used up its failures meanwhile.
        if (_limiter.IsBlocked(client))
            throw new SmtpResponseException(SecurityReplies.ClientBlocked);

        user ??= string.Empty;
        password ??= string.Empty;
        bool valid;
        if (_auth.Users.TryGetValue(user, out var hash))
        {
            valid = hash.Verify(password);
        }
        else
        {
            _decoy.Value.Verify(password);
            valid = false;
        }
        if (valid)
        {
            _logger.LogInformation("Authenticated {User} from {Client} ({Tls})", Printable(user), client, context.Pipe.IsSecure ? "TLS" : "no TLS");
            return Task.FromResult(true);
        }

        var blocked = _limiter.RecordFailure(client);
        var failures = (context.Properties.TryGetValue(FailuresKey, out var value) && value is int count ? count : 0) + 1;
        context.Properties[FailuresKey] = failures;
        _logger.LogWarning("Failed AUTH for {User} from {Client} ({Failures} in this session{Blocked})",
            Printable(user), client, failures, blocked ? "; address now refused AUTH for the failure window" : string.Empty);
        if (failures >= _auth.MaxFailures)
            throw new SmtpResponseException(SecurityReplies.TooManyFailures, true);
        throw new SmtpResponseException(SecurityReplies.InvalidCredentials);
    }

    // Client-supplied text goes into the log: one line, bounded, no control characters.
    private static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 64));
        foreach (var c in text.Length > 64 ? text[..64] : text)
            builder.Append(char.IsControl(c) ? '?' : c);
        return builder.ToString();
    }
}
