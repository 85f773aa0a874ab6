using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Testing.Tls;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23: CHUNKING/BDAT (RFC 3030) is not offered at the edge, because SmtpServer 11.1.0 cannot take a new command
/// (its state machine and parser are internal; README "At the SMTP edge"). These pin the wall: neither CHUNKING nor
/// BINARYMIME is advertised, over TLS either, BDAT is refused like any unknown command, and the session goes on.
/// </summary>
public sealed class ChunkingRefusalTests
{
    [Fact]
    public async Task Chunking_and_binarymime_are_not_offered_and_bdat_is_refused_without_ending_the_session()
    {
        using var certificate = TestCertificate.Create();
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await TestRouter.StartAsync($$"""
            smtp {
              {{certificate.PemSettings()}}
            }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;

        var plain = await session.SendAsync("EHLO client.test");
        Assert.DoesNotContain(plain, line => line[4..].StartsWith("CHUNKING", StringComparison.Ordinal) || line[4..].StartsWith("BINARYMIME", StringComparison.Ordinal));
        await session.StartTlsAsync();
        var secure = await session.SendAsync("EHLO client.test");
        Assert.DoesNotContain(secure, line => line[4..].StartsWith("CHUNKING", StringComparison.Ordinal) || line[4..].StartsWith("BINARYMIME", StringComparison.Ordinal));

        Assert.Equal("555 5.5.4 BODY=BINARYMIME is not supported here", await session.ReplyAsync("MAIL FROM:<a@example.org> BODY=BINARYMIME"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.Equal("502 5.5.1 Unrecognized command", await session.ReplyAsync("BDAT 0 LAST"));
        Assert.StartsWith("354", await session.ReplyAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync("Subject: after bdat\r\n\r\nbody\r\n."));
        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
    }
}
