using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Router.Actors.Cluster.Shadow;
using Router.Messages;
using Router.Messages.Cluster;
using Router.Messages.Serialization;
using Router.Tests.Integration;

namespace Router.Tests.Shadow;

/// <summary>
/// The holder's shadow socket, over a real loopback connection: a connection must present the token first, and a
/// batch sent on it is durable in the owner's shadow spool when its answer comes back on the same connection.
/// </summary>
public sealed class ShadowSocketServerTests : IAsyncLifetime
{
    private const string Owner = "akka.tcp://router@10.0.0.1:4053#-77";
    private readonly string _dir = TestRouter.NewSpoolPath();
    private ShadowStore _store = null!;
    private ShadowSocketServer _server = null!;

    public Task InitializeAsync()
    {
        _store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        _server = ShadowSocketServer.Start("127.0.0.1", 0, _store, null, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _server.Dispose();
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_batch_on_a_connection_that_presented_the_token_is_stored_before_its_answer()
    {
        using var socket = await ConnectAsync(Convert.FromHexString(_server.Endpoint.Token));
        Assert.Equal(ShadowSocketFrames.Accepted, await ReadByteAsync(socket));

        var batch = new ShadowBatch(Owner, 41, [Copy("Q1", "one"), Copy("Q2", "two"), Copy("Q3", "three")]);
        await WriteFrameAsync(socket, ShadowBatchCodec.Encode(batch));
        var answer = ShadowBatchCodec.DecodeStored(await ReadFrameAsync(socket));

        Assert.Equal(41, answer.BatchId);
        Assert.Empty(answer.Failed);
        Assert.Null(answer.Error);
        Assert.Equal(3, _store.Count(Owner));

        // The next batch on the same connection, with one copy the holder cannot read: only that one fails.
        var bad = new ShadowCopy("Q5", "not json"u8.ToArray(), [1]);
        await WriteFrameAsync(socket, ShadowBatchCodec.Encode(new ShadowBatch(Owner, 42, [Copy("Q4", "four"), bad])));
        var second = ShadowBatchCodec.DecodeStored(await ReadFrameAsync(socket));
        Assert.Equal(42, second.BatchId);
        Assert.Equal(["Q5"], second.Failed);
        Assert.NotNull(second.Error);
        Assert.Equal(4, _store.Count(Owner));
    }

    [Fact]
    public async Task A_connection_with_the_wrong_token_is_closed_and_stores_nothing()
    {
        var wrong = Convert.FromHexString(_server.Endpoint.Token);
        wrong[0] ^= 0xFF;
        using var socket = await ConnectAsync(wrong);
        // Sent anyway, as an intruder would: it must not be read as a batch.
        await WriteFrameAsync(socket, ShadowBatchCodec.Encode(new ShadowBatch(Owner, 1, [Copy("Q1", "one")])));

        var buffer = new byte[16];
        var read = await ReadUntilClosedAsync(socket, buffer);
        Assert.Equal(0, read);
        Assert.Equal(0, _store.Count(Owner));
    }

    private static ShadowCopy Copy(string queueId, string text)
    {
        var envelope = new Envelope("a@example.org", ["b@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client");
        return new ShadowCopy(queueId, EnvelopeCodec.Encode(envelope), Encoding.ASCII.GetBytes($"Received: x\r\n\r\n{text}\r\n"));
    }

    private async Task<Socket> ConnectAsync(byte[] token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _server.Port));
        await socket.SendAsync((byte[])[.. ShadowSocketFrames.Hello, .. token]);
        return socket;
    }

    private static async Task<byte> ReadByteAsync(Socket socket)
    {
        var one = new byte[1];
        Assert.Equal(1, await socket.ReceiveAsync(one).WaitAsync(TimeSpan.FromSeconds(10)));
        return one[0];
    }

    private static async Task WriteFrameAsync(Socket socket, byte[] payload)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        await socket.SendAsync((byte[])[.. header, .. payload]);
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket)
    {
        var header = new byte[4];
        await ReadExactlyAsync(socket, header);
        var payload = new byte[BinaryPrimitives.ReadInt32LittleEndian(header)];
        await ReadExactlyAsync(socket, payload);
        return payload;
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotEqual(0, n);
            read += n;
        }
    }

    /// <summary>Reads until the server closes the connection (0) or resets it (also 0 here); what it read before that.</summary>
    private static async Task<int> ReadUntilClosedAsync(Socket socket, byte[] buffer)
    {
        var total = 0;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(15))) > 0)
                total += n;
        }
        catch (SocketException)
        {
            // reset by the server: closed as well
        }

        return total;
    }
}
