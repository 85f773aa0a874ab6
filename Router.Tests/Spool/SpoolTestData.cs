using System.Buffers;
using Router.Actors.Spool;
using Router.Messages;
using Xunit;

namespace Router.Tests.Spool;

internal static class SpoolTestData
{
    public static readonly byte[] Received = "Received: from client.example ([192.0.2.1]) by relay.test\r\n"u8.ToArray();

    public static Envelope Envelope(int recipients = 2, string sender = "sender@example.org") => new(
        sender,
        Enumerable.Range(0, recipients).Select(i => $"rcpt{i}@dest.test").ToArray(),
        new DateTimeOffset(2026, 3, 14, 15, 9, 26, 535, TimeSpan.FromHours(1)).AddTicks(8979),
        "192.0.2.1",
        "client.example");

    /// <summary>Deterministic pseudo-random bytes, different per seed.</summary>
    public static byte[] Body(int length, int seed)
    {
        var body = new byte[length];
        new Random(seed).NextBytes(body);
        return body;
    }

    public static Task<SpooledMessage> AcceptAsync(MessageSpool spool, byte[] body, int recipients = 2) =>
        spool.AcceptAsync(Envelope(recipients), Received, new ReadOnlySequence<byte>(body));

    public static byte[] ReadBody(MessageSpool spool, string queueId)
    {
        using var stream = spool.OpenBody(queueId);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(stream.Length, copy.Length);
        return copy.ToArray();
    }

    public static byte[] Stored(byte[] body) => [.. Received, .. body];

    public static void AssertSameEnvelope(Envelope expected, Envelope actual)
    {
        Assert.Equal(expected.Sender, actual.Sender);
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.ReceivedAt, actual.ReceivedAt);
        Assert.Equal(expected.ReceivedAt.Offset, actual.ReceivedAt.Offset);
        Assert.Equal(expected.ClientAddress, actual.ClientAddress);
        Assert.Equal(expected.ClientHelo, actual.ClientHelo);
    }
}
