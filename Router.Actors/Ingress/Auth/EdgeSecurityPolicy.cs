using System.Buffers.Text;
using Router.Actors.Configuration;
using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress.Auth;

/// <summary>
/// STARTTLS and AUTH policy that the SMTP library cannot express: it sees each command line just
/// before the library parses it into an action (see <see cref="SessionState.CommandCheck"/>) and
/// refuses it by throwing <see cref="SmtpResponseException"/>, which the library turns into the reply.
/// Checking the line, not the parsed command, lets AUTH be refused before the library would
/// prompt for a password over a clear-text connection.
/// </summary>
/// <param name="listenerOf">The listener block a session came in on: its own <c>tls.required</c> and <c>auth.allow-insecure</c> override the top-level ones.</param>
internal sealed class EdgeSecurityPolicy(SmtpTlsOptions tls, SmtpAuthOptions auth, AuthFailureLimiter limiter,
    Func<ISessionContext, SmtpListenerOptions?>? listenerOf = null)
{
    private bool TlsRequired(ISessionContext context) => listenerOf?.Invoke(context)?.TlsRequired ?? tls.Required;

    private bool AllowInsecure(ISessionContext context) => listenerOf?.Invoke(context)?.AuthAllowInsecure ?? auth.AllowInsecure;

    private const string ExchangeKey = "Router:AuthExchange";

    /// <summary>What the next line of a session is while the library runs an AUTH exchange.</summary>
    private enum Exchange
    {
        None,
        PlainResponse,
        LoginResponse,
    }

    /// <summary>Puts a new session under this policy.</summary>
    public void Attach(ISessionContext context)
    {
        SessionState.Of(context).CommandCheck = line => CheckCommand(context, line);
        // While the library runs AUTH, the lines it reads are the client's responses, not commands.
        context.CommandExecuting += (_, e) =>
        {
            if (e.Command is AuthCommand command)
                SetExchange(context, command.Method == AuthenticationMethod.Plain ? Exchange.PlainResponse : Exchange.LoginResponse);
        };
        context.CommandExecuted += (_, e) =>
        {
            if (e.Command is AuthCommand)
                SetExchange(context, Exchange.None);
        };
    }

    /// <summary>The exchange has reached the authenticator: no more client responses follow.</summary>
    public static void EndExchange(ISessionContext context) => SetExchange(context, Exchange.None);

    /// <summary>Whether EHLO advertises AUTH PLAIN LOGIN to this session now.</summary>
    public bool OffersAuth(ISessionContext context) =>
        auth.Enabled && !context.Authentication.IsAuthenticated && (context.Pipe.IsSecure || (AllowInsecure(context) && !TlsRequired(context)));

    public void CheckCommand(ISessionContext context, string line)
    {
        if (context.Properties.TryGetValue(ExchangeKey, out var value) && value is Exchange exchange and not Exchange.None)
        {
            CheckResponse(context, line, exchange);
            return;
        }
        var verb = Word(line, 0);
        if (verb.Equals("MAIL", StringComparison.OrdinalIgnoreCase))
        {
            if (!context.Pipe.IsSecure && TlsRequired(context))
                throw new SmtpResponseException(SecurityReplies.MustStartTls);
        }
        else if (verb.Equals("AUTH", StringComparison.OrdinalIgnoreCase))
        {
            CheckAuth(context, line);
        }
    }

    private void CheckAuth(ISessionContext context, string line)
    {
        if (!auth.Enabled)
            throw new SmtpResponseException(SecurityReplies.AuthNotAvailable);
        if (!context.Pipe.IsSecure)
        {
            if (TlsRequired(context))
                throw new SmtpResponseException(SecurityReplies.MustStartTls);
            if (!AllowInsecure(context))
                throw new SmtpResponseException(SecurityReplies.EncryptionRequired);
        }
        var mechanism = Word(line, 1);
        var isPlain = mechanism.Equals("PLAIN", StringComparison.OrdinalIgnoreCase);
        if (!isPlain && !mechanism.Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
            throw new SmtpResponseException(SecurityReplies.UnknownMechanism);
        if (limiter.IsBlocked(SessionState.ClientAddress(context)))
            throw new SmtpResponseException(SecurityReplies.ClientBlocked);

        // The library decodes an initial response without checking it and drops the connection
        // on bad base64; refuse it here with the reply RFC 4954 asks for.
        var initial = Word(line, 2);
        if (initial.Length > 0 && !IsValidResponse(initial, isPlain))
            throw new SmtpResponseException(SecurityReplies.CannotDecode);
    }

    // The library decodes responses without checking them (bad base64 drops the connection) and
    // knows no cancel; RFC 4954 §4 wants 501 for both. A refusal here ends the exchange.
    private static void CheckResponse(ISessionContext context, string line, Exchange exchange)
    {
        if (line == "*")
        {
            SetExchange(context, Exchange.None);
            throw new SmtpResponseException(SecurityReplies.Cancelled);
        }
        // An empty LOGIN response is an empty user name or password; an empty PLAIN one is no message.
        var valid = line.Length == 0 ? exchange == Exchange.LoginResponse : IsValidResponse(line, exchange == Exchange.PlainResponse);
        if (!valid)
        {
            SetExchange(context, Exchange.None);
            throw new SmtpResponseException(SecurityReplies.CannotDecode);
        }
    }

    private static void SetExchange(ISessionContext context, Exchange exchange) => context.Properties[ExchangeKey] = exchange;

    private static bool IsValidResponse(string text, bool plain)
    {
        if (text == "=" || !Base64.IsValid(text, out var length) || length == 0)
            return false;
        if (!plain)
            return true;
        // PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd.
        var decoded = Convert.FromBase64String(text);
        return decoded.AsSpan().Count((byte)0) == 2;
    }

    private static string Word(string line, int index)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return index < words.Length ? words[index] : string.Empty;
    }
}
