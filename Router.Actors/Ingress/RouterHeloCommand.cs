using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>HELO with a plain greeting: the library's own ("haven't we met before?") would name the software behind the router.</summary>
internal sealed class RouterHeloCommand(string domainOrAddress) : HeloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{context.ServerOptions.ServerName} Hello {DomainOrAddress}";
}
