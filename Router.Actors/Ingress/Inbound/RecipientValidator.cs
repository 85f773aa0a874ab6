using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using SmtpServer.Protocol;

namespace Router.Actors.Ingress.Inbound;

/// <summary>
/// Decides at RCPT whether a recipient at a relay domain exists: by the list of valid addresses
/// (<c>relay.recipients</c>, <c>relay.recipients-file</c>), then by a callout to the internal server
/// (<c>relay.callout</c>). Null: accepted; otherwise the refusal to give.
/// </summary>
internal sealed class RecipientValidator(RecipientValidationOptions options, string helo, ILogger logger, TimeProvider time)
{
    private readonly RecipientCallout? _callout = options.Callout is null ? null : new RecipientCallout(options, helo, logger, time);

    public bool Enabled => options.Enabled;

    /// <param name="address">The recipient as the client gave it, domain in A-labels.</param>
    public async Task<SmtpResponse?> CheckAsync(string address, string domain, CancellationToken cancellationToken)
    {
        if (options.Addresses is { } valid)
        {
            var at = address.LastIndexOf('@');
            var local = at < 0 ? address : address[..at];
            if (!valid.Contains($"{local.ToLowerInvariant()}@{domain}") && !valid.Contains($"@{domain}"))
                return InboundReplies.UnknownRecipient(address);
        }
        if (_callout is null)
            return null;
        var result = await _callout.CheckAsync(address, cancellationToken).ConfigureAwait(false);
        return result.Verdict switch
        {
            CalloutVerdict.Valid => null,
            CalloutVerdict.Unknown => InboundReplies.UnknownRecipient(address),
            _ => InboundReplies.VerificationUnavailable(result),
        };
    }
}

/// <summary>The replies of inbound relaying, with their RFC 3463 enhanced codes.</summary>
internal static class InboundReplies
{
    public static SmtpResponse UnknownRecipient(string address) =>
        new(SmtpReplyCode.MailboxUnavailable, $"5.1.1 <{address}>: Recipient address rejected: User unknown");

    /// <summary>451 4.4.1 when the internal server did not answer, 4.4.2 when the session went wrong: the client retries.</summary>
    public static SmtpResponse VerificationUnavailable(CalloutResult result) =>
        new((SmtpReplyCode)451, $"{(result.NoAnswer ? "4.4.1" : "4.4.2")} Recipient verification failed temporarily, try again later");

    public static readonly SmtpResponse AuthenticationRequired =
        new((SmtpReplyCode)530, "5.7.0 Authentication required");
}
