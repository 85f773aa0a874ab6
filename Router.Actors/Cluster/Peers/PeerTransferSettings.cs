namespace Router.Actors.Cluster.Peers;

/// <summary>
/// Sizes and limits of peer transfers. Akka remoting's frame is 128,000 bytes and chunks travel as
/// base64 in JSON, so a chunk stays well under it; everything else is a bound on memory and time.
/// </summary>
public sealed record PeerTransferSettings
{
    /// <summary>Bytes per chunk (a chunk message is about 4/3 of this on the wire).</summary>
    public int ChunkSize { get; init; } = 64 * 1024;

    /// <summary>A payload (envelope + body) up to this size travels inside the offer: one round trip.</summary>
    public int InlineLimit { get; init; } = 64 * 1024;

    /// <summary>The largest payload a node takes from a peer.</summary>
    public long MaxPayload { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a receiver waits for the next chunk before it gives the transfer up.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Transfers a node receives at once; more are refused (the sender tries another peer or later).</summary>
    public int MaxIncoming { get; init; } = 256;
}
