using System.Buffers;
using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>An Accepted record to append: header and metadata built by the caller, then the caller's prefix and body.</summary>
internal sealed class AcceptRequest : SpoolRequest
{
    public AcceptRequest(string queueId, Envelope envelope, byte[] head, ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body)
    {
        QueueId = queueId;
        Envelope = envelope;
        Head = head;
        Prefix = prefix;
        Body = body;
    }

    public string QueueId { get; }

    public Envelope Envelope { get; }

    /// <summary>Record header plus metadata.</summary>
    public byte[] Head { get; }

    public ReadOnlyMemory<byte> Prefix { get; }

    /// <summary>The caller's buffer: valid only until the caller's await returns.</summary>
    public ReadOnlySequence<byte> Body { get; }

    public long StoredLength => Prefix.Length + Body.Length;

    public override long Size => Head.Length + StoredLength;

    public TaskCompletionSource<SpooledMessage> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken cancellationToken) => Completion.TrySetCanceled(cancellationToken);
}
