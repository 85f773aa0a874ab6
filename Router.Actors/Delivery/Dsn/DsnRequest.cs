namespace Router.Actors.Delivery.Dsn;

/// <summary>Everything a delivery status notification says about one message (RFC 3464 §2.2).</summary>
/// <param name="ReportingMta">Our host name: "Reporting-MTA: dns; ..." and the From address's domain.</param>
/// <param name="OriginalQueueId">The spool's id of the original, written as X-Router-Queue-ID.</param>
/// <param name="OriginalEnvelopeId">The client's ENVID, or null.</param>
/// <param name="ArrivalDate">When the original was accepted.</param>
/// <param name="OriginalSender">The envelope sender of the original; the DSN goes to this address.</param>
/// <param name="Recipients">One group per recipient reported on; at least one.</param>
/// <param name="Return">What of the original to return.</param>
/// <param name="MaxFullReturnBytes">Above this size RET=FULL returns the headers only (RFC 3461 §4.3 allows it).</param>
public sealed record DsnRequest(
    string ReportingMta,
    string OriginalQueueId,
    string? OriginalEnvelopeId,
    DateTimeOffset ArrivalDate,
    string OriginalSender,
    IReadOnlyList<DsnRecipient> Recipients,
    DsnReturn Return,
    long MaxFullReturnBytes = 1 << 20);
