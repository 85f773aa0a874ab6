using SmtpServer;
using SmtpServer.Protocol;

namespace Router.Testing.Firewalls;

/// <summary>
/// EHLO of a <see cref="FakeFirewall"/> told which extensions to offer (<see cref="FakeFirewall.Extensions"/>): exactly
/// those keywords, plus STARTTLS and AUTH where its <see cref="FirewallSecurity"/> has SmtpServer offer them. SmtpServer's
/// own list always has 8BITMIME and SMTPUTF8, so a firewall without them could not be played otherwise. The keywords are
/// only announced: the firewall stores whatever it is sent, as a sink does.
/// </summary>
internal sealed class FirewallEhloCommand(string domainOrAddress, IReadOnlyList<string> extensions) : EhloCommand(domainOrAddress)
{
    protected override IEnumerable<string> GetExtensions(ISessionContext context) =>
        base.GetExtensions(context)
            .Where(keyword => keyword.StartsWith("STARTTLS", StringComparison.OrdinalIgnoreCase) || keyword.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase))
            .Concat(extensions);
}

/// <summary>Swaps in <see cref="FirewallEhloCommand"/>.</summary>
internal sealed class FirewallCommandFactory(IReadOnlyList<string> extensions) : SmtpCommandFactory
{
    public override SmtpCommand CreateEhlo(string domainOrAddress) => new FirewallEhloCommand(domainOrAddress, extensions);
}
