namespace Router.Actors.Spool;

/// <summary>
/// Work for the writer. A request is either taken by the writer or cancelled by its caller, never both: a caller
/// whose request was taken waits for the write, because the writer may still be reading the caller's buffers.
/// </summary>
internal abstract class SpoolRequest
{
    private const int Waiting = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private int _state;

    /// <summary>Bytes this request adds to the segment.</summary>
    public abstract long Size { get; }

    /// <summary>Called by the writer; false when the caller cancelled first.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

    /// <summary>Called on the caller's cancellation; has no effect once the writer took the request.</summary>
    public void CancelIfWaiting(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) == Waiting)
        {
            SetCanceled(cancellationToken);
        }
    }

    public abstract void Fail(Exception error);

    protected abstract void SetCanceled(CancellationToken cancellationToken);
}
