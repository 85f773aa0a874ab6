using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// EHLO with the extensions the router really offers: the library's list lacks
/// ENHANCEDSTATUSCODES and DSN, and would advertise the library's internal size limit rather than
/// ours. SMTPUTF8 (RFC 6531) is offered: the router takes UTF-8 addresses with it, routes on the
/// A-label form and hands such mail only to a firewall that offers SMTPUTF8 too (a DSN otherwise).
/// REQUIRETLS (RFC 8689) is offered where STARTTLS is configured, after STARTTLS. CHUNKING (RFC 3030) is
/// offered on every guarded session (all of them in the router); BINARYMIME is not.
/// Each MAIL and RCPT parameter is checked against this list (<see cref="ParameterPolicy"/>).
/// </summary>
internal sealed class RouterEhloCommand(string domainOrAddress, long maxMessageSize, Func<ISessionContext, bool>? offersAuth = null) : EhloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{context.ServerOptions.ServerName} Hello {DomainOrAddress}";

    protected override IEnumerable<string> GetExtensions(ISessionContext context)
    {
        yield return "PIPELINING";
        yield return "8BITMIME";
        yield return "SMTPUTF8";
        yield return "ENHANCEDSTATUSCODES";
        yield return "DSN";
        // RFC 3030: BDAT is taken in front of the library by the session's guarded reader (GuardedReader.Chunking.cs).
        // BINARYMIME is not: the router keeps 8-bit text lines, relays byte for byte, and would have nowhere to send binary.
        if (SessionGuard.Of(context) is not null)
            yield return "CHUNKING";
        yield return $"SIZE {SessionState.Of(context).MaxMessageSize ?? maxMessageSize}";
        if (context.Pipe.IsSecure == false && context.EndpointDefinition.CertificateFactory != null)
            yield return "STARTTLS";
        // RFC 8689: offered where STARTTLS is configured, once the session runs over TLS (as Exim does): MAIL ... REQUIRETLS
        // is taken on a TLS session only, and such mail goes on only over verified TLS to a firewall that offers it.
        if (context.Pipe.IsSecure && context.EndpointDefinition.CertificateFactory != null)
            yield return "REQUIRETLS";
        if (offersAuth?.Invoke(context) == true)
            yield return "AUTH PLAIN LOGIN";
    }
}

/// <summary>Swaps in <see cref="RouterEhloCommand"/> and remembers the client's EHLO/HELO name.</summary>
internal sealed class RouterCommandFactory(Func<long> maxMessageSize, Func<ISessionContext, bool>? offersAuth = null) : SmtpCommandFactory
{
    public override SmtpCommand CreateEhlo(string domainOrAddress) => new RouterEhloCommand(domainOrAddress, maxMessageSize(), offersAuth);

    public override SmtpCommand CreateHelo(string domainOrAddress) => new RouterHeloCommand(domainOrAddress);
}
