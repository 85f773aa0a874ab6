using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>The spool's in-memory state of one live message. Mutated only by the writer (or recovery), under the spool's lock.</summary>
internal sealed class SpoolEntry
{
    public SpoolEntry(string queueId, Envelope envelope, long order, SpoolLocation location)
    {
        QueueId = queueId;
        Envelope = envelope;
        Order = order;
        Location = location;
        Outcomes = new byte[envelope.Recipients.Count];
        Pending = Outcomes.Length;
    }

    public string QueueId { get; }

    public Envelope Envelope { get; }

    /// <summary>Acceptance order, for listing oldest first; survives relocation.</summary>
    public long Order { get; }

    public SpoolLocation Location { get; set; }

    /// <summary>Per recipient: 0 while pending, else the <see cref="RecipientOutcome"/> byte.</summary>
    public byte[] Outcomes { get; }

    public int Pending { get; private set; }

    /// <summary>Times the message was deferred, for the retry schedule; 0 until it first is.</summary>
    public int Deferrals { get; set; }

    /// <summary>When the message is next due, if it was deferred.</summary>
    public DateTimeOffset? NextAttempt { get; set; }

    /// <summary>Set when a relocation found the stored record damaged; it is not tried again.</summary>
    public bool Unmovable { get; set; }

    /// <summary>Marks recipients finished; indexes out of range or already finished are ignored.</summary>
    public void MarkFinished(IEnumerable<int> recipientIndexes, byte outcome)
    {
        foreach (var index in recipientIndexes)
        {
            if ((uint)index < (uint)Outcomes.Length && Outcomes[index] == 0)
            {
                Outcomes[index] = outcome;
                Pending--;
            }
        }
    }

    public bool IsPending(int recipientIndex) => Outcomes[recipientIndex] == 0;

    public SpooledMessage ToMessage()
    {
        var pending = new int[Pending];
        for (int i = 0, j = 0; i < Outcomes.Length; i++)
        {
            if (Outcomes[i] == 0)
            {
                pending[j++] = i;
            }
        }

        return new SpooledMessage(QueueId, Envelope, Location.BodyLength, pending) { Deferrals = Deferrals, NextAttempt = NextAttempt };
    }
}
