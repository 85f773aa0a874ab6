using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Router.Actors.Ingress;

/// <summary>
/// The listening socket of one endpoint, as the library's own <see cref="EndpointListener"/> does
/// it, except that each session's input is read in <see cref="SessionPipe.ReadBufferSize"/> pieces:
/// the library reads 4 KB at a time, so a 100 KB message took 25 receive calls, each passed up
/// through the session's reader layers.
/// </summary>
internal sealed class SocketListener(TcpListener listener, Action stopped) : IEndpointListener
{
    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        var socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        context.Properties.Add(EndpointListener.LocalEndPointKey, listener.LocalEndpoint);
        context.Properties.Add(EndpointListener.RemoteEndPointKey, socket.RemoteEndPoint!);
        return new SessionPipe(socket);
    }

    public void Dispose()
    {
        listener.Stop();
        stopped();
    }
}

/// <summary>A session's socket as a pipe; STARTTLS replaces both halves with ones over TLS.</summary>
internal sealed class SessionPipe : ISecurableDuplexPipe
{
    /// <summary>Large enough for most of a message per read; rented only while a read is pending or data is unread.</summary>
    public const int ReadBufferSize = 32 * 1024;

    private readonly Socket _socket;
    private Stream _stream;
    private bool _disposed;

    public SessionPipe(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        (Input, Output) = Pipes(_stream);
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsSecure => _stream is SslStream;

    public SslProtocols SslProtocol => (_stream as SslStream)?.SslProtocol ?? SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateRequired = false,
                    EnabledSslProtocols = protocols,
                    // No client certificates are asked for, so there is nothing to check revocation of.
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _stream = tls;
        (Input, Output) = Pipes(_stream);
    }

    private static (PipeReader, PipeWriter) Pipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 4096, leaveOpen: true)),
         PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            _stream.Dispose();
            _socket.Dispose();
        }
        catch (Exception)
        {
            // Closing a socket the client already reset.
        }
    }
}
