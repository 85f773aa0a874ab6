namespace Router.Actors.Health.Latency;

/// <summary>
/// The steps of one delivery attempt whose latency a firewall's history keeps. Everything before
/// <see cref="EndOfData"/> happens before any message data is sent, so an attempt that waits too long
/// there can be abandoned and placed elsewhere without a duplicate.
/// </summary>
public enum DeliveryPhase
{
    /// <summary>TCP connect.</summary>
    Connect,

    /// <summary>From connected to the <c>220</c> greeting.</summary>
    Greeting,

    /// <summary>The reply to <c>EHLO</c>.</summary>
    Ehlo,

    /// <summary><c>STARTTLS</c>, the handshake and the <c>EHLO</c> after it.</summary>
    StartTls,

    /// <summary>The <c>AUTH</c> exchange.</summary>
    Auth,

    /// <summary>The reply to <c>MAIL FROM</c>.</summary>
    Mail,

    /// <summary>The reply to one <c>RCPT TO</c>.</summary>
    Rcpt,

    /// <summary>The reply to the final dot (content scanning): never hedged, since the data was sent.</summary>
    EndOfData,
}

public static class DeliveryPhases
{
    /// <summary>Whether a wait in this phase happens before any message data is sent.</summary>
    public static bool BeforeData(this DeliveryPhase phase) => phase != DeliveryPhase.EndOfData;

    public static readonly IReadOnlyList<DeliveryPhase> All = Enum.GetValues<DeliveryPhase>();
}
