using System.Net;
using System.Net.Sockets;
using System.Text;
using Router.Actors.Configuration;
using Router.Actors.Delivery;
using Router.Messages.Delivery;

namespace Router.Tests.Delivery;

/// <summary>The client's DSN parameters go on to a firewall that offers DSN (RFC 3461 §4).</summary>
public sealed class DsnForwardingTests
{
    /// <summary>A minimal SMTP server that offers DSN and records the command lines it gets.</summary>
    private static async Task<List<string>> ServeOnceAsync(TcpListener listener)
    {
        var lines = new List<string>();
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task Say(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"));
        await Say("220 dsn.test ESMTP");
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await Say("250-dsn.test\r\n250-PIPELINING\r\n250 DSN");
                    break;
                case "DATA":
                    await Say("354 go on");
                    while (await reader.ReadLineAsync() is { } data && data != ".")
                    {
                    }
                    await Say("250 2.0.0 queued");
                    break;
                case "QUIT":
                    await Say("221 2.0.0 bye");
                    return lines;
                default:
                    await Say("250 2.0.0 ok");
                    break;
            }
        }
        return lines;
    }

    [Fact]
    public async Task Notify_envid_and_ret_are_passed_on_to_a_firewall_that_offers_dsn()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var served = ServeOnceAsync(listener);
            var job = new DeliveryJob("Q1", "a@example.org", [0, 1], ["b@example.net", "c@example.net"], 20, "*", 0)
            {
                Notify = ["NEVER", "SUCCESS,FAILURE"],
                EnvelopeId = "env-42",
                Return = "HDRS",
            };
            var firewall = new FirewallOptions { Id = "fw", Host = "127.0.0.1", Port = port };
            await using (var connection = new FirewallConnection(firewall))
            {
                var result = await connection.DeliverAsync(job, () => new MemoryStream("Subject: x\r\n\r\nhi\r\n"u8.ToArray()), CancellationToken.None);
                Assert.Equal(AttemptOutcome.Completed, result.Outcome);
            }

            var lines = await served.WaitAsync(TimeSpan.FromSeconds(10));
            var mail = Assert.Single(lines, l => l.StartsWith("MAIL FROM:", StringComparison.Ordinal));
            Assert.Contains("ENVID=env-42", mail);
            Assert.Contains("RET=HDRS", mail);
            Assert.Contains(lines, l => l.StartsWith("RCPT TO:<b@example.net> NOTIFY=NEVER", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("RCPT TO:<c@example.net> NOTIFY=SUCCESS,FAILURE", StringComparison.Ordinal));
        }
        finally
        {
            listener.Stop();
        }
    }
}
