using System.Runtime.Serialization;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

namespace Router.Tests.Serialization;

/// <summary>The binary wire form of a shadow batch: bytes kept exactly, a missing traceparent kept missing, bad input refused.</summary>
public sealed class ShadowBatchCodecTests
{
    private static readonly ShadowBatch Batch = new("akka.tcp://router@10.0.0.1:4053#-42", long.MaxValue,
    [
        new ShadowCopy("0ABC", "{\"sender\":\"ü@bücher.example\"}"u8.ToArray(), Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray()),
        new ShadowCopy("0ABD", [123, 125], []) { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    ]);

    [Fact]
    public void Every_byte_and_the_absent_traceparent_survive_the_round_trip()
    {
        var back = ShadowBatchCodec.Decode(ShadowBatchCodec.Encode(Batch));

        Assert.Equal(Batch.Owner, back.Owner);
        Assert.Equal(Batch.BatchId, back.BatchId);
        Assert.Equal(2, back.Copies.Count);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(Batch.Copies[i].QueueId, back.Copies[i].QueueId);
            Assert.Equal(Batch.Copies[i].Envelope, back.Copies[i].Envelope);
            Assert.Equal(Batch.Copies[i].Body, back.Copies[i].Body);
            Assert.Equal(Batch.Copies[i].TraceParent, back.Copies[i].TraceParent);
        }
    }

    [Fact]
    public void A_truncated_batch_another_version_or_trailing_bytes_are_refused_as_serialization_errors()
    {
        var bytes = ShadowBatchCodec.Encode(Batch);

        Assert.Throws<SerializationException>(() => ShadowBatchCodec.Decode(bytes[..^1]));
        Assert.Throws<SerializationException>(() => ShadowBatchCodec.Decode(bytes[..40]));
        Assert.Throws<SerializationException>(() => ShadowBatchCodec.Decode([2, .. bytes[1..]]));
        Assert.Throws<SerializationException>(() => ShadowBatchCodec.Decode([.. bytes, 0]));
    }
}
