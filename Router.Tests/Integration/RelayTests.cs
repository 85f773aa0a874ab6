using System.Collections.Concurrent;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>Issue 2: one node relays mail durably through cost-ranked connectors, byte for byte.</summary>
public sealed class RelayTests
{
    [Fact]
    public async Task Five_hundred_messages_from_eight_clients_arrive_exactly_once_split_and_byte_identical()
    {
        await using var fwA = await FakeFirewall.StartAsync("fw-a");
        await using var fwB = await FakeFirewall.StartAsync("fw-b");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fwA, fwB));

        const int total = 500;
        var sent = new ConcurrentDictionary<string, byte[]>();
        var senders = Enumerable.Range(0, 8).Select(async client =>
        {
            var batch = Enumerable.Range(0, total).Where(i => i % 8 == client)
                .Select(i => TestMail.Build($"m{i:D4}", extraBodyBytes: i % 7 * 300)).ToArray();
            foreach (var data in batch)
                sent[TestMail.IdOf(data)] = data;
            var replies = await TestMail.SendAsync(router.Smtp, batch);
            Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as ", r));
        });
        await Task.WhenAll(senders);

        await WaitForTotalAsync(total, fwA, fwB);
        var received = fwA.Messages.Select(m => (Firewall: "a", m)).Concat(fwB.Messages.Select(m => (Firewall: "b", m))).ToList();

        Assert.Equal(total, received.Count);
        Assert.Equal(total, received.Select(r => TestMail.IdOf(r.m.Data)).Distinct().Count());
        Assert.True(fwA.Count >= total * 0.3, $"fw-a got {fwA.Count} of {total}");
        Assert.True(fwB.Count >= total * 0.3, $"fw-b got {fwB.Count} of {total}");
        foreach (var (_, message) in received)
        {
            var original = sent[TestMail.IdOf(message.Data)];
            AssertRelayedUnchanged(original, message.Data);
            Assert.Equal("sender@example.org", message.MailFrom);
            Assert.Equal(["user@example.net"], message.Recipients);
        }
    }

    [Fact]
    public async Task Recipients_of_different_routes_are_split_and_each_part_delivered_on_its_own_route()
    {
        await using var internet = await FakeFirewall.StartAsync("fw-net");
        await using var partner = await FakeFirewall.StartAsync("fw-partner");
        await using var router = await TestRouter.StartAsync($$"""
            firewalls {
              fw-net { host = "127.0.0.1", port = {{internet.Port}} }
              fw-partner { host = "127.0.0.1", port = {{partner.Port}} }
            }
            connectors {
              internet { address-spaces = ["*;1"], firewalls = [fw-net] }
              partner { address-spaces = ["partner.example;1"], firewalls = [fw-partner] }
            }
            """);

        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var data = TestMail.Build("split-1");
        await client.SendAsync(TestMail.Format, TestMail.Load(data), MimeKit.MailboxAddress.Parse("sender@example.org"),
            [MimeKit.MailboxAddress.Parse("a@partner.example"), MimeKit.MailboxAddress.Parse("b@other.example"), MimeKit.MailboxAddress.Parse("c@PARTNER.example")]);
        await client.DisconnectAsync(true);

        await partner.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        await internet.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        Assert.Equal(["a@partner.example", "c@PARTNER.example"], partner.Messages.Single().Recipients);
        Assert.Equal(["b@other.example"], internet.Messages.Single().Recipients);
        AssertRelayedUnchanged(data, partner.Messages.Single().Data);
        AssertRelayedUnchanged(data, internet.Messages.Single().Data);
    }

    [Fact]
    public async Task A_permanent_recipient_rejection_finishes_that_recipient_and_delivers_the_others()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        fw.Behavior = FirewallBehavior.Reject550Recipient("bad");
        await using var router = await TestRouter.StartAsync(TestRouter.EqualCost(fw));

        using var client = new TestMail.ExactBytesClient();
        await client.ConnectAsync(router.Smtp.Address.ToString(), router.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(TestMail.Format, TestMail.Load(TestMail.Build("r1")), MimeKit.MailboxAddress.Parse("sender@example.org"),
            [MimeKit.MailboxAddress.Parse("bad1@example.net"), MimeKit.MailboxAddress.Parse("good@example.net")]);
        await client.DisconnectAsync(true);
        var queueId = reply.Split(' ').Last();

        await fw.WaitForCountAsync(1, TimeSpan.FromSeconds(20));
        Assert.Equal(["good@example.net"], fw.Messages.Single().Recipients);
        // Both recipients are finished (one delivered, one failed): the message leaves the spool.
        await Eventually.TrueAsync(() => !router.Node.Spool.Contains(queueId), TimeSpan.FromSeconds(10), "message still in the spool");
    }

    internal static void AssertRelayedUnchanged(byte[] original, byte[] relayed)
    {
        var prefixLength = relayed.Length - original.Length;
        Assert.True(prefixLength > 0, "the relayed message is not longer than the original: no Received header?");
        Assert.Equal(original, relayed[prefixLength..]);
        var prefix = System.Text.Encoding.ASCII.GetString(relayed, 0, prefixLength);
        Assert.True(prefix.StartsWith("Received: from ", StringComparison.Ordinal), $"unexpected prefix: {prefix}");
        Assert.EndsWith("\r\n", prefix);
        // Exactly one header: continuation lines only after the first line.
        var lines = prefix.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines.Skip(1), l => Assert.True(l[0] is ' ' or '\t', $"unexpected extra header line: {l}"));
    }

    private static async Task WaitForTotalAsync(int total, params FakeFirewall[] firewalls) =>
        await Eventually.TrueAsync(() => firewalls.Sum(f => f.Count) >= total, TimeSpan.FromSeconds(60),
            () => $"received {firewalls.Sum(f => f.Count)} of {total}");
}
