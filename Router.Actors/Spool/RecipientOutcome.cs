namespace Router.Actors.Spool;

/// <summary>Why a recipient no longer needs delivery. The values are stored on disk: never renumber.</summary>
public enum RecipientOutcome : byte
{
    /// <summary>The next hop accepted the message for this recipient.</summary>
    Delivered = 1,

    /// <summary>Permanently failed (and bounced, where a bounce is due).</summary>
    Failed = 2,

    /// <summary>Removed by an operator or superseded; no delivery, no bounce.</summary>
    Cancelled = 3,

    /// <summary>Handed to another node of the cluster, which has it durable and delivers it (spill-over, drain).</summary>
    HandedOver = 4,
}
