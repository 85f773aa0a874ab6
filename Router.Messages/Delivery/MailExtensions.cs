namespace Router.Messages.Delivery;

/// <summary>
/// The SMTP extensions that decide whether a message may go to a firewall at all: what a message
/// needs (<see cref="DeliveryJob.Needs"/>) and what a firewall offers (<see cref="Health.FirewallStatus.Offers"/>).
/// A message goes only where every extension it needs is offered; it is never downgraded.
/// </summary>
[Flags]
public enum MailExtensions
{
    None = 0,

    /// <summary>RFC 6531: a UTF-8 envelope address or header.</summary>
    Smtputf8 = 1,

    /// <summary>RFC 6152: 8-bit bytes in the content.</summary>
    EightBitMime = 2,

    /// <summary>RFC 8689: REQUIRETLS, which a firewall offers only on a session whose certificate was verified (<c>tls = verify</c>).</summary>
    RequireTls = 4,
}
