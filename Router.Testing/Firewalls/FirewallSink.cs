using System.Buffers;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Router.Testing.Firewalls;

/// <summary>
/// SmtpServer's callbacks for a <see cref="FakeFirewall"/>: it is a sink, so every address is accepted unless the
/// current behaviour says otherwise, every message is recorded (with whether it came over TLS and as which user), and
/// only the credentials of the firewall's <see cref="FirewallSecurity"/> are accepted (none when it has none).
/// </summary>
internal sealed class FirewallSink : IMailboxFilter, IMessageStore, IUserAuthenticator
{
    readonly FakeFirewall _firewall;

    public FirewallSink(FakeFirewall firewall) => _firewall = firewall;

    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        _firewall.OnMailCommand();
        if (_firewall.Behavior.Mode == FirewallMode.Reject451OnMail)
        {
            throw new SmtpResponseException(FirewallReplies.TryAgainLater);
        }

        if (_firewall.Behavior.Mode == FirewallMode.StallAtMail)
        {
            // Never answered: the session hangs here until the firewall stops, whatever the client does meanwhile
            // (its data may already be buffered, so the socket is not watched for the client's close).
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        if (_firewall.Behavior.DefersRecipient(to.User ?? string.Empty))
            throw new SmtpResponseException(FirewallReplies.MailboxBusy);
        if (_firewall.Behavior.RejectsRecipient(to.User ?? string.Empty))
        {
            throw new SmtpResponseException(FirewallReplies.UserUnknown);
        }

        return Task.FromResult(true);
    }

    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        // SmtpServer hands over the content without the CRLF that precedes the terminating ".": put it back, so
        // Data is byte for byte what the client sent as its message.
        var data = new byte[buffer.Length + 2];
        buffer.CopyTo(data);
        data[^2] = (byte)'\r';
        data[^1] = (byte)'\n';

        var message = new ReceivedMessage(
            transaction.From?.AsAddress() ?? string.Empty,
            transaction.To.Select(to => to.AsAddress() ?? string.Empty).ToArray(),
            data,
            DateTimeOffset.UtcNow)
        {
            OverTls = context.Pipe.IsSecure,
            TlsProtocol = context.Pipe.SslProtocol,
            AuthenticatedUser = context.Authentication.IsAuthenticated ? context.Authentication.User : null,
            MailParameters = transaction.Parameters.ToDictionary(p => p.Key.ToUpperInvariant(), p => p.Value ?? string.Empty),
        };

        if (_firewall.Behavior is { Mode: FirewallMode.DropOnMarker, Marker: { } marker }
            && data.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(marker)) >= 0
            && context.Properties.TryGetValue(FirewallEndpointListener.ConnectionKey, out var poisoned)
            && poisoned is FakeConnection poisonedConnection)
        {
            _firewall.OnPoisoned();
            poisonedConnection.Abort();
            throw new SmtpResponseException(FirewallReplies.Dropped);
        }

        if (_firewall.Behavior is { Mode: FirewallMode.Slow, EndOfDataDelay: var delay } && delay > TimeSpan.Zero)
        {
            // A content scanner taking its time: the message is kept only once the reply goes out.
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        // The firewall keeps the message even when it then drops the connection: that is the lost-250 case, and
        // the router's retry shows up here as a duplicate.
        _firewall.Record(message);

        if (_firewall.Behavior.Mode == FirewallMode.DropAfterData
            && context.Properties.TryGetValue(FirewallEndpointListener.ConnectionKey, out var value)
            && value is FakeConnection connection)
        {
            connection.Abort();
            throw new SmtpResponseException(FirewallReplies.Dropped);
        }

        return SmtpResponse.Ok;
    }

    public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        var security = _firewall.Security;
        var accepted = security.RequiresAuth
            && string.Equals(user, security.User, StringComparison.Ordinal)
            && string.Equals(password, security.Password, StringComparison.Ordinal);
        if (!accepted)
        {
            _firewall.OnAuthRejected();
        }

        return Task.FromResult(accepted);
    }
}
