using System.Net;
using System.Net.Sockets;
using System.Text;
using Router.Actors.Delivery;

namespace Router.Tests.Delivery;

/// <summary>The stream MailKit writes to the firewall through: gathered writes, and nothing left behind when a reply is awaited.</summary>
public sealed class CoalescingSocketStreamTests : IAsyncLifetime
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket _client = null!;
    private Socket _server = null!;

    public async Task InitializeAsync()
    {
        _listener.Start();
        _client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = _listener.AcceptSocketAsync();
        await _client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        _server = await accept;
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        _listener.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Writes_stay_in_the_buffer_until_a_flush()
    {
        await using var stream = new CoalescingSocketStream(_client);

        const string Mail = "MAIL FROM:<a@example.test>\r\n", Rcpt = "RCPT TO:<b@example.test>\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Mail));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Rcpt));

        Assert.Equal(Mail.Length + Rcpt.Length, stream.Pending);
        Assert.False(_server.Poll(200_000, SelectMode.SelectRead), "nothing may reach the peer before the flush");
        await stream.FlushAsync();
        Assert.Equal(0, stream.Pending);
        Assert.Equal(Mail + Rcpt, await ReceiveAsync(Mail.Length + Rcpt.Length));
    }

    [Fact]
    public async Task A_read_sends_what_was_written_before_it_waits_for_the_reply()
    {
        // MailKit does not flush its inner stream when its own 4 KB block happened to be sent in
        // full just before; the read for the reply must push those bytes out or both sides wait.
        await using var stream = new CoalescingSocketStream(_client) { ReadTimeout = 10_000 };
        await stream.WriteAsync(new byte[4096]);
        await stream.WriteAsync(".\r\n"u8.ToArray());

        var read = stream.ReadAsync(new byte[64]).AsTask();
        var received = await ReceiveAsync(4099);
        Assert.EndsWith(".\r\n", received, StringComparison.Ordinal);
        await _server.SendAsync("250 2.0.0 queued\r\n"u8.ToArray());
        Assert.Equal(18, await read);
    }

    [Fact]
    public async Task The_sync_read_flushes_too()
    {
        await using var stream = new CoalescingSocketStream(_client) { ReadTimeout = 10_000 };
        stream.Write("QUIT\r\n"u8);

        var read = Task.Run(() => stream.Read(new byte[64], 0, 64));
        Assert.Equal("QUIT\r\n", await ReceiveAsync(6));
        await _server.SendAsync("221 bye\r\n"u8.ToArray());
        Assert.Equal(9, await read);
    }

    [Fact]
    public async Task More_than_the_buffer_goes_out_whole_and_in_order()
    {
        var payload = new byte[300_000];
        for (var i = 0; i < payload.Length; i++)
            payload[i] = (byte)(i * 7);
        await using var stream = new CoalescingSocketStream(_client, bufferSize: 64 * 1024);

        var receive = Task.Run(() => ReceiveBytesAsync(payload.Length));
        // In MailKit's 4 KB blocks plus an odd tail.
        for (var offset = 0; offset < payload.Length; offset += 4096)
            await stream.WriteAsync(payload.AsMemory(offset, Math.Min(4096, payload.Length - offset)));
        await stream.FlushAsync();

        Assert.Equal(payload, await receive);
    }

    [Fact]
    public async Task A_reply_that_never_comes_is_a_timeout_after_the_read_timeout()
    {
        await using var stream = new CoalescingSocketStream(_client) { ReadTimeout = 300 };

        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<TimeoutException>(async () => _ = await stream.ReadAsync(new byte[64]));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Throws<TimeoutException>(() => stream.Read(new byte[64], 0, 64));
    }

    [Fact]
    public async Task A_closed_peer_is_an_io_error_or_end_of_stream_not_a_hang()
    {
        await using var stream = new CoalescingSocketStream(_client) { ReadTimeout = 10_000 };
        _server.Close();

        var read = await stream.ReadAsync(new byte[64]);
        Assert.Equal(0, read);
        // Writing into a connection the peer has closed fails once the RST is back.
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(new byte[1024]);
                await stream.FlushAsync();
                await Task.Delay(10);
            }
        });
    }

    private async Task<string> ReceiveAsync(int count) => Encoding.ASCII.GetString(await ReceiveBytesAsync(count));

    private async Task<byte[]> ReceiveBytesAsync(int count)
    {
        var buffer = new byte[count];
        var received = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received < count)
        {
            var n = await _server.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            received += n;
        }
        return buffer;
    }
}
