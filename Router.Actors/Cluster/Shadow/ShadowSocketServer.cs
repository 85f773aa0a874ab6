using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Serialization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability.Tracing;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The holder's side of the shadow socket path (<c>router.shadow-port</c>): peers send their shadow batches here straight
/// over TCP instead of through Akka remoting and the intake actor. One thread per owner's connection reads a batch,
/// stores it (<see cref="ShadowStore.StoreBatchAsync"/>: one group commit, one fsync for the batch) and writes the answer
/// on the same connection, so a batch costs this node a wake-up to read it and one to answer it, where remoting took
/// several hand-offs between threads. Owners learn the port and the token over remoting
/// (<see cref="ShadowEndpointQuery"/>); a connection that does not present the token first is closed. Framing:
/// <see cref="ShadowSocketFrames"/>.
/// </summary>
public sealed class ShadowSocketServer : IDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly ShadowStore _store;
    private readonly MessageTracing? _tracing;
    private readonly ILogger _logger;
    private readonly byte[] _token = RandomNumberGenerator.GetBytes(ShadowSocketFrames.TokenBytes);
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private volatile bool _stopped;

    private ShadowSocketServer(Socket listener, ShadowStore store, MessageTracing? tracing, ILogger logger)
    {
        _listener = listener;
        _store = store;
        _tracing = tracing;
        _logger = logger;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>The port it listens on (the one configured, or the one the system gave for 0).</summary>
    public int Port { get; }

    /// <summary>What a peer is told (<see cref="ShadowEndpoint"/>) and must present first.</summary>
    public ShadowEndpoint Endpoint => new(Port, Convert.ToHexString(_token));

    /// <summary>Connections open now (one per owner sending copies here).</summary>
    public int Connections => _connections.Count;

    /// <summary>Listens on <paramref name="host"/> (an address or a name; the remoting bind address) and port.</summary>
    /// <exception cref="SocketException">The port is taken, or the host is not this machine's.</exception>
    public static ShadowSocketServer Start(string host, int port, ShadowStore store, MessageTracing? tracing, ILogger logger)
    {
        var address = IPAddress.TryParse(host, out var parsed) ? parsed : Dns.GetHostAddresses(host).First();
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(64);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var server = new ShadowSocketServer(listener, store, tracing, logger);
        new Thread(server.AcceptLoop) { IsBackground = true, Name = "shadow-accept" }.Start();
        logger.LogInformation("Taking shadow copies from peers on {Endpoint}", listener.LocalEndPoint);
        return server;
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Dispose();
        foreach (var connection in _connections.Keys)
            connection.Dispose();
    }

    private void AcceptLoop()
    {
        while (!_stopped)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!_stopped)
                    _logger.LogError(e, "The shadow listener stopped taking connections");
                return;
            }

            connection.NoDelay = true;
            _connections[connection] = 0;
            if (_stopped)
                connection.Dispose();
            else
                new Thread(() => Serve(connection)) { IsBackground = true, Name = "shadow-intake" }.Start();
        }
    }

    private void Serve(Socket connection)
    {
        var peer = connection.RemoteEndPoint;
        try
        {
            if (!Greet(connection))
            {
                _logger.LogWarning("Closed a shadow connection from {Peer} that did not present this node's token", peer);
                return;
            }

            while (ShadowSocketFrames.Read(connection) is { } frame)
            {
                var batch = ShadowBatchCodec.Decode(frame);
                ShadowSocketFrames.Write(connection, ShadowBatchCodec.EncodeStored(_store.StoreBatch(batch, _tracing)));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or SerializationException)
        {
            if (!_stopped)
                _logger.LogWarning("Shadow connection from {Peer} ended: {Error}", peer, e.Message);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    private bool Greet(Socket connection)
    {
        connection.ReceiveTimeout = (int)HelloTimeout.TotalMilliseconds;
        var hello = new byte[ShadowSocketFrames.Hello.Length + ShadowSocketFrames.TokenBytes];
        if (!ShadowSocketFrames.ReadExactly(connection, hello, endAllowed: true)
            || !hello.AsSpan(0, ShadowSocketFrames.Hello.Length).SequenceEqual(ShadowSocketFrames.Hello)
            || !CryptographicOperations.FixedTimeEquals(hello.AsSpan(ShadowSocketFrames.Hello.Length), _token))
            return false;
        connection.ReceiveTimeout = 0; // an owner with nothing to copy sends nothing for as long as it likes
        connection.Send([ShadowSocketFrames.Accepted]);
        return true;
    }
}
