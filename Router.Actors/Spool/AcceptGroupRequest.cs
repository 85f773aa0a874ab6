namespace Router.Actors.Spool;

/// <summary>
/// Several accepts queued as one (<see cref="MessageSpool.AcceptAll"/>): the writer takes them all in the same group
/// commit. Queued one by one, the first woke the writer, which could start its fsync with that one alone while the
/// caller was still queueing the rest (a holder's batch of copies then cost two fsyncs).
/// </summary>
internal sealed class AcceptGroupRequest : SpoolRequest
{
    public AcceptGroupRequest(IReadOnlyList<AcceptRequest> requests)
    {
        Requests = requests;
        Size = requests.Sum(r => r.Size);
    }

    public IReadOnlyList<AcceptRequest> Requests { get; }

    public override long Size { get; }

    public override void Fail(Exception error)
    {
        foreach (var request in Requests)
            request.Fail(error);
    }

    // Not cancellable: AcceptAll takes no token.
    protected override void SetCanceled(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A group of accepts is not cancelled.");
}
