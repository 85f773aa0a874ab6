namespace Router.Actors.Spool;

/// <summary>A complete Finished record to append.</summary>
internal sealed class FinishRequest : SpoolRequest
{
    public FinishRequest(string queueId, int[] recipientIndexes, RecipientOutcome outcome)
    {
        QueueId = queueId;
        RecipientIndexes = recipientIndexes;
        Outcome = outcome;
        Record = SpoolRecordFormat.BuildFinished(queueId, recipientIndexes, outcome);
    }

    public string QueueId { get; }

    public int[] RecipientIndexes { get; }

    public RecipientOutcome Outcome { get; }

    public byte[] Record { get; }

    public override long Size => Record.Length;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken cancellationToken) => Completion.TrySetCanceled(cancellationToken);
}
