using Router.Actors.Configuration;
using Router.Actors.Ingress.Inbound;
using Router.Actors.Routing;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Router.Actors.Ingress;

/// <summary>
/// Decides MAIL FROM and RCPT TO for one listener: only clients in the relay networks, or authenticated ones, may relay
/// anywhere; any client may send to the relay domains (inbound), whose recipients may be validated; only to domains
/// some address space covers, and no more than max-recipients per message. Refusals are thrown as
/// <see cref="SmtpResponseException"/> because the library's boolean answer has no enhanced code.
/// </summary>
internal sealed class RelayMailboxFilter(AddressSpaceTable table, RelayPolicy policy, long maxMessageSize, int maxRecipients,
    BackPressure backPressure, RecipientValidator? recipients = null)
    : IMailboxFilter
{
    internal static bool IsRelayTrick(string localPart) =>
        localPart.IndexOfAny(['%', '!', '@']) >= 0;

    public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        if (policy.RequireAuth && !context.Authentication.IsAuthenticated)
            throw new SmtpResponseException(InboundReplies.AuthenticationRequired);
        if (size > maxMessageSize)
            throw new SmtpResponseException(SmtpReplies.MessageTooBig(maxMessageSize));
        if (backPressure.Check() is not null)
            throw new SmtpResponseException(SmtpReplies.InsufficientStorage);
        SessionState.Of(context).BeginTransaction();
        return Task.FromResult(true);
    }

    public async Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        // A client that authenticated (SMTP AUTH) may relay from any address; one in the relay networks too, unless the
        // listener requires AUTH. Any other client may only send to the relay domains.
        var client = SessionState.ClientAddress(context);
        var mayRelay = context.Authentication.IsAuthenticated
            || (!policy.RequireAuth && client is not null && policy.AllowedNetworks.Any(n => n.Contains(client)));
        if (!mayRelay && policy.Domains.Count == 0)
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
            throw new SmtpResponseException(mayRelay ? SmtpReplies.BadRecipient : SmtpReplies.RelayDenied);
        var relayDomain = DomainName.TryNormalize(domain, out var normalized, out _) && policy.IsRelayDomain(normalized);
        if (!mayRelay && !relayDomain)
            throw new SmtpResponseException(SmtpReplies.RelayDenied);
        if (table.Resolve(domain).Count == 0)
            throw new SmtpResponseException(SmtpReplies.NoRoute(domain));

        if (session.Recipients >= maxRecipients)
            throw new SmtpResponseException(SmtpReplies.TooManyRecipients(maxRecipients));
        // Only what would be accepted is verified: the callout is not spent on a recipient refused anyway.
        if (relayDomain && recipients is { Enabled: true } && await recipients.CheckAsync(address, normalized, cancellationToken).ConfigureAwait(false) is { } refusal)
            throw new SmtpResponseException(refusal);
        session.Recipients++;
        session.AcceptedRecipients.Add(address);
        session.AcceptedOptions.Add(session.OptionsFor(address));
        return true;
    }
}
