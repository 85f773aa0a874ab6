using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Router.Actors.Cluster.Peers;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Cluster;
using Router.Messages.Serialization;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>
/// Peer transfers between two real nodes on loopback: a message goes from one node's spool to the
/// other's in chunks pulled by the receiver, and is the receiver's to deliver once it is durable there.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerTransferTests : IAsyncLifetime
{
    private readonly ClusterNodes _cluster = new();

    public async Task InitializeAsync()
    {
        await _cluster.AddNodeAsync();
        await _cluster.AddNodeAsync();
        await _cluster.AllUpAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_10_MB_message_handed_over_in_chunks_is_delivered_by_the_receiver_and_no_node_becomes_unreachable()
    {
        var (sender, receiver) = (_cluster[0], _cluster[1]);
        var unreachable = _cluster.RecordUnreachable();

        var body = TenMegabyteMessage();
        var envelope = new Envelope("sender@example.org", ["user@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client.example.org");
        var spooled = await sender.Node.Spool.AcceptAsync(envelope, ReadOnlyMemory<byte>.Empty, new ReadOnlySequence<byte>(body));
        var payload = TransferPayload.FromStream(EnvelopeCodec.Encode(spooled.Envelope), sender.Node.Spool.OpenBody(spooled.QueueId));

        var result = await PeerOutbox.SendAsync(sender.Node.PeerOutbox, ClusterNodes.AddressOf(receiver), TransferKind.Handover,
            spooled.QueueId, payload, TimeSpan.FromSeconds(60));

        Assert.True(result.Stored, result.Error);
        Assert.NotNull(result.RemoteQueueId);
        var firewall = _cluster.FirewallOf(receiver);
        await firewall.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        var delivered = Assert.Single(firewall.Messages);
        Assert.Equal(["user@example.com"], delivered.Recipients);
        Assert.Equal("sender@example.org", delivered.MailFrom);
        // The receiver adds nothing to the stored bytes it took over: the firewall gets them as the sender stored them.
        Assert.True(body.AsSpan().SequenceEqual(delivered.Data), $"delivered {delivered.Data.Length} bytes differ from the {body.Length} handed over");
        Assert.Equal(0, _cluster.FirewallOf(sender).Count);
        Assert.True(unreachable.IsEmpty, "marked unreachable during the transfer: " + string.Join(", ", unreachable));
    }

    [Fact]
    public async Task A_small_message_travels_inside_the_offer_and_is_stored_under_the_receivers_queue_id()
    {
        var (sender, receiver) = (_cluster[0], _cluster[1]);
        var body = Encoding.ASCII.GetBytes("Subject: small\r\n\r\nhello\r\n");
        var envelope = new Envelope("a@example.org", ["b@example.com", "c@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client");
        var payload = TransferPayload.FromMemory(EnvelopeCodec.Encode(envelope), new ReadOnlySequence<byte>(body));

        var result = await PeerOutbox.SendAsync(sender.Node.PeerOutbox, ClusterNodes.AddressOf(receiver), TransferKind.Handover,
            "0000000000000000", payload, TimeSpan.FromSeconds(30));

        Assert.True(result.Stored, result.Error);
        Assert.NotEqual("0000000000000000", result.RemoteQueueId);
        var firewall = _cluster.FirewallOf(receiver);
        await firewall.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        var delivered = Assert.Single(firewall.Messages);
        Assert.Equal(["b@example.com", "c@example.com"], delivered.Recipients.Order().ToArray());
        Assert.Equal(body, delivered.Data);
    }

    [Fact]
    public async Task A_transfer_to_a_node_that_does_not_answer_fails_when_its_time_is_up()
    {
        var sender = _cluster[0];
        var nobody = new Address("akka.tcp", "router", "127.0.0.1", 9);
        var envelope = new Envelope("a@example.org", ["b@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client");
        var payload = TransferPayload.FromMemory(EnvelopeCodec.Encode(envelope), new ReadOnlySequence<byte>("x\r\n"u8.ToArray()));

        var result = await PeerOutbox.SendAsync(sender.Node.PeerOutbox, nobody, TransferKind.Handover, "Q", payload, TimeSpan.FromSeconds(2));

        Assert.False(result.Stored);
        Assert.Contains("no acknowledgement", result.Error);
    }

    [Fact]
    public void A_payload_reads_across_the_envelope_and_body_boundary_from_memory_and_from_a_stream()
    {
        var envelope = "{\"e\":1}"u8.ToArray();
        var body = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var expected = envelope.Concat(body).ToArray();
        using var inMemory = TransferPayload.FromMemory(envelope, new ReadOnlySequence<byte>(body));
        using var fromStream = TransferPayload.FromStream(envelope, new MemoryStream(body));
        foreach (var payload in new[] { inMemory, fromStream })
        {
            Assert.Equal(expected.Length, payload.Length);
            var read = new List<byte>();
            for (long offset = 0; offset < payload.Length; offset += 333)
                read.AddRange(payload.Read(offset, 333));
            Assert.Equal(expected, read);
            Assert.Empty(payload.Read(payload.Length, 10));
        }
    }

    private static byte[] TenMegabyteMessage()
    {
        var text = new StringBuilder("From: sender@example.org\r\nTo: user@example.com\r\nSubject: ten megabytes\r\n\r\n");
        for (var line = 0; text.Length < 10 * 1024 * 1024; line++)
            text.Append(line.ToString("D8")).Append(' ').Append('x', 70).Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
