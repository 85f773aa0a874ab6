using System.Text.Json;

namespace Router.Messages.Serialization;

/// <summary>The envelope as the same JSON the serializer writes, for payloads that carry it beside a body (peer transfers).</summary>
public static class EnvelopeCodec
{
    public static byte[] Encode(Envelope envelope) =>
        JsonSerializer.SerializeToUtf8Bytes(envelope, RouterJsonContext.Default.Envelope);

    /// <exception cref="JsonException">The bytes are not an envelope.</exception>
    public static Envelope Decode(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, RouterJsonContext.Default.Envelope)
        ?? throw new JsonException("the envelope is null");
}
