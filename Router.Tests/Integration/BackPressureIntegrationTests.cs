using System.Net.Sockets;
using System.Text;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 4: a full spool refuses new mail with 452 4.3.1 and accepts again once it drains.</summary>
public sealed class BackPressureIntegrationTests
{
    private static async Task<string> MailFromReplyAsync(System.Net.IPEndPoint smtp)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(smtp);
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync();
        await stream.WriteAsync("HELO client.test\r\nMAIL FROM:<a@example.org>\r\n"u8.ToArray());
        await reader.ReadLineAsync();
        return await reader.ReadLineAsync() ?? string.Empty;
    }

    [Fact]
    public async Task Past_max_messages_mail_from_gets_452_4_3_1_until_the_queue_drains()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await fw.StopAsync();
        await using var router = await TestRouter.StartAsync($$"""
            spool { max-messages = 5 }
            {{TestRouter.EqualCost(fw)}}
            """);

        var first = Enumerable.Range(0, 5).Select(i => TestMail.Build($"bp{i}")).ToArray();
        var replies = await TestMail.SendAsync(router.Smtp, first);
        Assert.All(replies, r => Assert.StartsWith("2.0.0", r));

        Assert.Equal("452 4.3.1 Insufficient system storage, try again later", await MailFromReplyAsync(router.Smtp));

        // Existing mail keeps flowing once a path is back; the queue drains and new mail is welcome again.
        await fw.RestartAsync();
        await fw.WaitForCountAsync(5, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(10), "spool did not drain");
        Assert.Equal("250 2.0.0 Ok", await MailFromReplyAsync(router.Smtp));
    }
}
