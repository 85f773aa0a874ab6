using System.Threading.Channels;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Router.Testing.Firewalls;

/// <summary>
/// Feeds SmtpServer the connections that <see cref="FakeFirewall"/> accepted and chose to serve. The firewall owns
/// the listening socket, so it can close and reopen it (Refuse, Restart) without restarting SmtpServer, and can
/// stall or answer 421 before SmtpServer ever sees a connection.
/// </summary>
internal sealed class FirewallEndpointListener : IEndpointListenerFactory, IEndpointListener
{
    public const string ConnectionKey = "Router.FakeFirewall:Connection";

    readonly ChannelReader<FakeConnection> _connections;

    public FirewallEndpointListener(ChannelReader<FakeConnection> connections) => _connections = connections;

    public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition) => this;

    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Only cancellation ends this: SmtpServer treats any other exception as a faulted session and loops.
            var connection = await _connections.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (connection.IsClosed)
            {
                continue;
            }

            FirewallSocketPipe pipe;
            try
            {
                pipe = new FirewallSocketPipe(connection);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Reset between accept and hand-over (the firewall was told to refuse meanwhile).
                connection.Abort();
                continue;
            }

            context.Properties[ConnectionKey] = connection;
            return pipe;
        }
    }

    // The listening socket and the connections belong to FakeFirewall.
    public void Dispose()
    {
    }
}
