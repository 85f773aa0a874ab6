using System.Net;
using Router.Actors.Routing;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Router.Actors.Ingress;

/// <summary>
/// Decides MAIL FROM and RCPT TO: only clients in the relay networks, or authenticated ones, may relay, only to domains
/// some address space covers, and no more than max-recipients per message. Refusals are thrown as
/// <see cref="SmtpResponseException"/> because the library's boolean answer has no enhanced code.
/// </summary>
internal sealed class RelayMailboxFilter(AddressSpaceTable table, IReadOnlyList<IPNetwork> relayNetworks, long maxMessageSize, int maxRecipients,
    BackPressure backPressure)
    : IMailboxFilter
{
    internal static bool IsRelayTrick(string localPart) =>
        localPart.IndexOfAny(['%', '!', '@']) >= 0;

    public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        if (size > maxMessageSize)
            throw new SmtpResponseException(SmtpReplies.MessageTooBig(maxMessageSize));
        if (backPressure.Check() is not null)
            throw new SmtpResponseException(SmtpReplies.InsufficientStorage);
        SessionState.Of(context).BeginTransaction();
        return Task.FromResult(true);
    }

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        // A client that authenticated (SMTP AUTH) may relay from any address.
        var client = SessionState.ClientAddress(context);
        if (!context.Authentication.IsAuthenticated && (client is null || !relayNetworks.Any(n => n.Contains(client))))
            throw new SmtpResponseException(SmtpReplies.RelayDenied);

        // The classic open-relay tricks hide a second destination in the local part or a route:
        // %-hack, UUCP bang paths, quoted local parts with @ or %, source routes.
        var session = SessionState.Of(context);
        if (IsRelayTrick(to.User) || session.LastRcptHadSourceRoute)
            throw new SmtpResponseException(SmtpReplies.RelayDenied);

        // Routing compares domains in their A-label form (DomainName), so a U-label domain routes like its punycode.
        var address = session.AddressOf(to, EsmtpVerb.Rcpt);
        var domain = address.Contains('@') ? address[(address.LastIndexOf('@') + 1)..] : to.Host;
        if (string.IsNullOrEmpty(domain))
            throw new SmtpResponseException(SmtpReplies.BadRecipient);
        if (table.Resolve(domain).Count == 0)
            throw new SmtpResponseException(SmtpReplies.NoRoute(domain));

        if (session.Recipients >= maxRecipients)
            throw new SmtpResponseException(SmtpReplies.TooManyRecipients(maxRecipients));
        session.Recipients++;
        session.AcceptedRecipients.Add(address);
        session.AcceptedOptions.Add(session.OptionsFor(address));
        return Task.FromResult(true);
    }
}
