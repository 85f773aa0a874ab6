namespace Router.Actors.Spool;

/// <summary>A complete Deferred record to append.</summary>
internal sealed class DeferRequest : SpoolRequest
{
    public DeferRequest(string queueId, int deferrals, DateTimeOffset nextAttempt)
    {
        QueueId = queueId;
        Deferrals = deferrals;
        NextAttempt = nextAttempt;
        Record = SpoolRecordFormat.BuildDeferred(queueId, deferrals, nextAttempt);
    }

    public string QueueId { get; }

    public int Deferrals { get; }

    public DateTimeOffset NextAttempt { get; }

    public byte[] Record { get; }

    public override long Size => Record.Length;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken cancellationToken) => Completion.TrySetCanceled(cancellationToken);
}
