using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>A durable message in the spool.</summary>
/// <param name="QueueId">The spool's id for the message; short, sortable, safe in file names and SMTP replies.</param>
/// <param name="Envelope">The SMTP envelope as accepted.</param>
/// <param name="Length">Stored body length in bytes (the relay's prefix plus the client's body).</param>
/// <param name="PendingRecipients">Indexes into <see cref="Envelope.Recipients"/> that are not finished yet, ascending.</param>
public sealed record SpooledMessage(string QueueId, Envelope Envelope, long Length, IReadOnlyList<int> PendingRecipients)
{
    /// <summary>Times the message was deferred (its position in the retry schedule); 0 if never.</summary>
    public int Deferrals { get; init; }

    /// <summary>When it is next due, if it was deferred: a restarted node waits until then.</summary>
    public DateTimeOffset? NextAttempt { get; init; }
}
