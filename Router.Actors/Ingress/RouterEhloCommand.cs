using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// EHLO with the extensions the router really offers: the library's list lacks
/// ENHANCEDSTATUSCODES, offers SMTPUTF8 (which we cannot carry to a firewall that lacks it), and
/// would advertise the library's internal size limit rather than ours.
/// </summary>
internal sealed class RouterEhloCommand(string domainOrAddress, long maxMessageSize, Func<ISessionContext, bool>? offersAuth = null) : EhloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{context.ServerOptions.ServerName} Hello {DomainOrAddress}";

    protected override IEnumerable<string> GetExtensions(ISessionContext context)
    {
        yield return "PIPELINING";
        yield return "8BITMIME";
        yield return "ENHANCEDSTATUSCODES";
        yield return "DSN";
        yield return $"SIZE {maxMessageSize}";
        if (context.Pipe.IsSecure == false && context.EndpointDefinition.CertificateFactory != null)
            yield return "STARTTLS";
        if (offersAuth?.Invoke(context) == true)
            yield return "AUTH PLAIN LOGIN";
    }
}

/// <summary>Swaps in <see cref="RouterEhloCommand"/> and remembers the client's EHLO/HELO name.</summary>
internal sealed class RouterCommandFactory(long maxMessageSize, Func<ISessionContext, bool>? offersAuth = null) : SmtpCommandFactory
{
    public override SmtpCommand CreateEhlo(string domainOrAddress) => new RouterEhloCommand(domainOrAddress, maxMessageSize, offersAuth);
}
