namespace Router.Actors.Delivery.Dsn;

/// <summary>One recipient group of a delivery status notification (RFC 3464 §2.3).</summary>
/// <param name="FinalRecipient">The rfc822 address the router tried to deliver to.</param>
/// <param name="OriginalRecipient">The client's ORCPT value with its address type, e.g. "rfc822;a@b", or null.</param>
/// <param name="Action">What happened to this recipient.</param>
/// <param name="Status">RFC 3463 enhanced status code, e.g. "5.1.1"; "4.4.7"/"5.4.7" for expiry.</param>
/// <param name="DiagnosticCode">The firewall's reply, e.g. "550 5.1.1 User unknown", written as "smtp; ...".</param>
/// <param name="RemoteMta">The firewall host that answered, written as "dns; ...".</param>
/// <param name="LastAttempt">When delivery to this recipient was last tried.</param>
/// <param name="WillRetryUntil">When the router gives up; only written for <see cref="DsnAction.Delayed"/>.</param>
public sealed record DsnRecipient(
    string FinalRecipient,
    string? OriginalRecipient,
    DsnAction Action,
    string Status,
    string? DiagnosticCode,
    string? RemoteMta,
    DateTimeOffset? LastAttempt,
    DateTimeOffset? WillRetryUntil);
