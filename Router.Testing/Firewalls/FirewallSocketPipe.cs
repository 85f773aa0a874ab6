using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer.IO;

namespace Router.Testing.Firewalls;

/// <summary>
/// The duplex pipe SmtpServer talks through: plain text, upgraded in place to TLS when a client sends STARTTLS
/// (SmtpServer offers STARTTLS only when the firewall has a certificate).
/// </summary>
internal sealed class FirewallSocketPipe : ISecurableDuplexPipe
{
    readonly FakeConnection _connection;
    readonly NetworkStream _stream;
    SslStream? _tls;

    public FirewallSocketPipe(FakeConnection connection)
    {
        _connection = connection;
        _stream = new StampingStream(connection);
        Input = PipeReader.Create(_stream);
        Output = PipeWriter.Create(_stream);
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsSecure => _tls is not null;

    public SslProtocols SslProtocol => _tls?.SslProtocol ?? SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        // SmtpServer has answered 220 to STARTTLS and reads nothing more in clear text: the next bytes are the
        // client's hello.
        var tls = new SslStream(_stream, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = protocols,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _tls = tls;
        Input = PipeReader.Create(tls);
        Output = PipeWriter.Create(tls);
    }

    public void Dispose()
    {
        _tls?.Dispose();
        _stream.Dispose();
        _connection.Close();
    }
}

/// <summary>The connection's socket as a stream that stamps the first write, so a test can tell when the greeting really left.</summary>
internal sealed class StampingStream(FakeConnection connection) : NetworkStream(connection.Socket, ownsSocket: false)
{
    public override void Write(byte[] buffer, int offset, int count)
    {
        connection.Writing();
        base.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        connection.Writing();
        base.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        connection.Writing();
        return base.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        connection.Writing();
        return base.WriteAsync(buffer, cancellationToken);
    }
}
