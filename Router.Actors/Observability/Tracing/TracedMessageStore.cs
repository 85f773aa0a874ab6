using System.Buffers;
using Router.Actors.Ingress;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Router.Actors.Observability.Tracing;

/// <summary>
/// The accept span around the spool's store: it starts at the transaction's MAIL FROM (when spans are listened to,
/// the session notes the time) and ends with the reply to the final dot. The store below reads it as the ambient span
/// of this flow to keep its traceparent with the message and to parent the spool and shadow spans.
/// </summary>
internal sealed class TracedMessageStore(IMessageStore store, MessageTracing tracing) : IMessageStore
{
    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
        CancellationToken cancellationToken)
    {
        var span = tracing.StartAccept(SessionState.Of(context).TransactionStarted);
        if (span is null)
            return await store.SaveAsync(context, transaction, buffer, cancellationToken).ConfigureAwait(false);
        var response = SmtpReplies.TemporaryFailure;
        try
        {
            response = await store.SaveAsync(context, transaction, buffer, cancellationToken).ConfigureAwait(false);
            return response;
        }
        finally
        {
            MessageTracing.EndAccept(span, (int)response.ReplyCode, response.Message);
        }
    }
}
