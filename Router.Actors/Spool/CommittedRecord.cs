namespace Router.Actors.Spool;

/// <summary>
/// One durable record of a group commit, as the writer hands it to <see cref="SpoolIndex.Apply"/>: a request, or a
/// relocated entry with its new location. <see cref="Message"/> is filled in for an accept once it is indexed.
/// </summary>
internal readonly record struct CommittedRecord(SpoolRequest? Request, SpoolEntry? Relocated, SpoolLocation Location)
{
    public SpooledMessage? Message { get; init; }
}
