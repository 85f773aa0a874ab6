namespace Router.Actors.Spool;

/// <summary>Record types of the segment log. Stored on disk: never renumber; recovery skips unknown values.</summary>
internal enum SpoolRecordType : byte
{
    /// <summary>Queue id, envelope (UTF-8 JSON) and the stored body.</summary>
    Accepted = 1,

    /// <summary>Queue id, an outcome and the recipient indexes it applies to.</summary>
    Finished = 2,

    /// <summary>Queue id, how often the message was deferred and when it is next due (the retry schedule's position).</summary>
    Deferred = 3,
}
