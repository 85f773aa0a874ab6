using System.Net.Sockets;
using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;

namespace Router.Tests.Integration;

/// <summary>Issue 2: SIGTERM closes the listener, lets the transaction in flight finish, then exits.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_mid_transaction_lets_it_finish_with_250_then_the_process_exits_0()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        var dir = TestRouter.NewSpoolPath();
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "router.conf");
        await File.WriteAllTextAsync(config, $$"""
            router {
              spool.path = "{{Path.Combine(dir, "spool")}}"
              smtp { listen = ["127.0.0.1:0"], hostname = "router.test", relay.allowed-networks = ["127.0.0.0/8"], shutdown-grace = 20s }
              admin.listen = "127.0.0.1:0"
              {{TestRouter.EqualCost(fw)}}
            }
            """);
        try
        {
            await using var router = await RouterProcess.StartAsync(config, TimeSpan.FromSeconds(60));
            using var client = new TcpClient();
            await client.ConnectAsync(router.Smtp);
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            async Task<string> Command(string line)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
                string reply;
                do
                    reply = await reader.ReadLineAsync() ?? throw new IOException("connection closed");
                while (reply.Length > 3 && reply[3] == '-');
                return reply;
            }

            Assert.StartsWith("220", await reader.ReadLineAsync());
            Assert.StartsWith("250", await Command("EHLO client.test"));
            Assert.StartsWith("250", await Command("MAIL FROM:<a@example.org>"));
            Assert.StartsWith("250", await Command("RCPT TO:<b@example.net>"));
            Assert.StartsWith("354", await Command("DATA"));
            await stream.WriteAsync(Encoding.ASCII.GetBytes("Subject: in flight\r\n\r\nfirst half\r\n"));

            router.Terminate();
            await Eventually.TrueAsync(() => router.Output.Contains("SMTP listener closing", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), () => router.Output);
            // The listener is closed to new clients while this transaction goes on.
            await Assert.ThrowsAnyAsync<SocketException>(async () =>
            {
                using var late = new TcpClient();
                await late.ConnectAsync(router.Smtp);
            });

            var reply = await Command("second half\r\n.");
            Assert.StartsWith("250 2.0.0 Ok: queued as", reply);
            Assert.StartsWith("221", await Command("QUIT"));
            Assert.Equal(0, await router.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
