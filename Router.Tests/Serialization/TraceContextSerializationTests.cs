using Akka.Actor;
using Akka.Configuration;
using Router.Messages;
using Envelope = Router.Messages.Envelope;
using Router.Messages.Cluster;
using Router.Messages.Delivery;
using Router.Messages.Serialization;

namespace Router.Tests.Serialization;

/// <summary>
/// Issue 22: the trace context (W3C traceparent) is new in the transfer offer, the envelope and the part. It crosses
/// nodes in the offer, and a node of an older build, which sends none, must still be understood (mixed versions
/// during a rolling upgrade).
/// </summary>
public sealed class TraceContextSerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("trace-serialization", ConfigurationFactory.ParseString(RouterMessageSerializer.Hocon));

    private RouterMessageSerializer Serializer => new((ExtendedActorSystem)_system);

    [Fact]
    public void A_transfer_offer_carries_its_traceparent_to_the_receiving_node()
    {
        var offer = new PeerOffer("t-1", TransferKind.Handover, "akka.tcp://router@10.0.0.1:4053#42", "0ABC", 120, 4096) { TraceParent = MessageSamples.TraceParent };

        var back = (PeerOffer)Serializer.FromBinary(Serializer.ToBinary(offer), RouterMessageSerializer.Manifests[typeof(PeerOffer)]);

        Assert.Equal(MessageSamples.TraceParent, back.TraceParent);
        Assert.Equal(offer with { Inline = null }, back with { Inline = null });
    }

    [Fact]
    public void An_offer_from_a_node_that_predates_trace_context_reads_as_not_traced()
    {
        // What a node built before issue 22 sends: no traceParent property.
        var json = """{"transferId":"t-1","kind":"Handover","owner":"akka.tcp://router@10.0.0.1:4053#42","queueId":"0ABC","envelopeLength":120,"bodyLength":4096}"""u8;

        var offer = (PeerOffer)Serializer.FromBinary(json.ToArray(), RouterMessageSerializer.Manifests[typeof(PeerOffer)]);

        Assert.Null(offer.TraceParent);
        Assert.Equal(("t-1", TransferKind.Handover, "0ABC", 4096L), (offer.TransferId, offer.Kind, offer.QueueId, offer.BodyLength));
    }

    [Fact]
    public void An_untraced_offer_envelope_or_part_writes_no_traceparent()
    {
        var offer = new PeerOffer("t-1", TransferKind.Shadow, "owner", "0ABC", 1, 1);
        var envelope = new Envelope("a@example.org", ["b@example.net"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx");
        var job = new DeliveryJob("0ABC", "a@example.org", [0], ["b@example.net"], 10, "*;1", 0);

        Assert.DoesNotContain("traceParent", System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(offer)), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("traceParent", System.Text.Encoding.UTF8.GetString(EnvelopeCodec.Encode(envelope)), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("traceParent", System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(job)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_envelope_in_a_transfer_payload_keeps_the_messages_traceparent()
    {
        var envelope = new Envelope("a@example.org", ["b@example.net"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx") { TraceParent = MessageSamples.TraceParent };

        Assert.Equal(MessageSamples.TraceParent, EnvelopeCodec.Decode(EnvelopeCodec.Encode(envelope)).TraceParent);
        Assert.Null(EnvelopeCodec.Decode("""{"sender":"a@example.org","recipients":["b@example.net"],"receivedAt":"2026-11-28T18:30:15+01:00","clientAddress":"10.1.2.3","clientHelo":"mx"}"""u8).TraceParent);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
