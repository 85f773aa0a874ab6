using System.Diagnostics;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// A real full disk under the spool: a 2 MiB tmpfs mounted as the spool directory (the tests run
/// as root; mounting needs it). A message that does not fit is answered 451 4.3.0 and leaves
/// nothing behind; once space returns the next one is stored and delivered.
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task A_store_that_hits_a_full_disk_answers_451_4_3_0_keeps_nothing_and_the_next_message_after_space_returns_is_accepted()
    {
        var mountPoint = Path.Combine(Path.GetTempPath(), "router-tests", "diskfull-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mountPoint);
        Run("mount", $"-t tmpfs -o size=2m tmpfs {mountPoint}");
        try
        {
            await using var fw = await FakeFirewall.StartAsync("fw-a");
            var spool = Path.Combine(mountPoint, "spool");
            await using (var router = await SmtpLimitTests.StartAsync(fw, extra: "spool.min-free-disk = 0", spoolPath: spool))
            {
                // Leave a few KiB free: the message below cannot fit.
                var filler = Path.Combine(mountPoint, "filler");
                await using (var file = File.Create(filler))
                {
                    var free = new DriveInfo(mountPoint).AvailableFreeSpace;
                    file.SetLength(0);
                    var chunk = new byte[64 * 1024];
                    for (long left = free - (8 * 1024); left > 0; left -= chunk.Length)
                        file.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
                }
                Assert.InRange(new DriveInfo(mountPoint).AvailableFreeSpace, 0, 32 * 1024);

                var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
                using var _ = session;
                var big = System.Text.Encoding.ASCII.GetString(TestMail.Build("too-big-for-the-disk", extraBodyBytes: 200_000)).TrimEnd('\r', '\n');
                Assert.Equal("451 4.3.0 Temporary failure storing the message, try again later",
                    await session.TransactionAsync("MAIL FROM:<first@example.org>", ["RCPT TO:<b@example.net>"], Dotted(big)));
                Assert.Equal(0, router.Node.Spool.Statistics.MessagesQueued);

                File.Delete(filler);
                var reply = await session.ReplyAsync("MAIL FROM:<second@example.org>");
                Assert.StartsWith("250", reply);
                Assert.StartsWith("250", await session.ReplyAsync("RCPT TO:<b@example.net>"));
                Assert.StartsWith("354", await session.ReplyAsync("DATA"));
                Assert.StartsWith("250 2.0.0 Ok: queued as ", await session.ReplyAsync(Dotted(big) + "\r\n."));

                await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
                await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(20), "the spool did not empty");
                Assert.Equal("second@example.org", Assert.Single(fw.Messages).MailFrom);
            }

            // Nothing of the refused message comes back when the spool is opened again.
            await using (var reopened = await SmtpLimitTests.StartAsync(fw, extra: "spool.min-free-disk = 0", spoolPath: spool))
                Assert.Equal(0, reopened.Node.Spool.Statistics.MessagesQueued);
            Assert.Equal(1, fw.Count);
        }
        finally
        {
            Run("umount", mountPoint);
            Directory.Delete(mountPoint);
        }
    }

    private static string Dotted(string data) => data.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);

    private static void Run(string command, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {arguments} failed ({process.ExitCode}): {error} (the test needs root to mount a tmpfs)");
    }
}
