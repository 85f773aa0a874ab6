namespace Router.Actors.Spool;

/// <summary>Writes nothing; completes once the writer has committed and cleaned up everything queued before it.</summary>
internal sealed class BarrierRequest : SpoolRequest
{
    public override long Size => 0;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken cancellationToken) => Completion.TrySetCanceled(cancellationToken);
}
