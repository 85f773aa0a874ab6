using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer.IO;

namespace Router.Node.Demo;

/// <summary>The duplex pipe SmtpServer talks through; plain text only (no certificate, so STARTTLS is never offered).</summary>
internal sealed class FirewallSocketPipe : ISecurableDuplexPipe
{
    readonly FakeConnection _connection;
    readonly NetworkStream _stream;

    public FirewallSocketPipe(FakeConnection connection)
    {
        _connection = connection;
        _stream = new NetworkStream(connection.Socket, ownsSocket: false);
        Input = PipeReader.Create(_stream);
        Output = PipeWriter.Create(_stream);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public bool IsSecure => false;

    public SslProtocols SslProtocol => SslProtocols.None;

    public Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The fake firewall does not offer TLS.");

    public void Dispose()
    {
        _stream.Dispose();
        _connection.Close();
    }
}
