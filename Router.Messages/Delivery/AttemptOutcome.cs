namespace Router.Messages.Delivery;

/// <summary>
/// How one delivery attempt to a firewall ended, classified so that health tracking can tell a
/// failing firewall from a failing message.
/// </summary>
public enum AttemptOutcome
{
    /// <summary>The transaction completed; per-recipient results say who got what.</summary>
    Completed = 0,
    /// <summary>TCP connection refused or reset before the greeting.</summary>
    ConnectFailed,
    /// <summary>No TCP connection within connect-timeout.</summary>
    ConnectTimeout,
    /// <summary>Connected, but no greeting within greeting-timeout.</summary>
    GreetingTimeout,
    /// <summary>The firewall greeted with 421/554 or otherwise refused the session.</summary>
    SessionRefused,
    /// <summary>The STARTTLS handshake failed or timed out.</summary>
    TlsFailed,
    /// <summary>The firewall answered 421 to a command: it is closing the channel.</summary>
    ServiceClosing,
    /// <summary>A 4xx to MAIL FROM or DATA that applies to the whole transaction.</summary>
    TransientRejection,
    /// <summary>A 5xx to MAIL FROM or DATA: the message is refused for every recipient.</summary>
    PermanentRejection,
    /// <summary>A command got no reply within command-timeout (or data-timeout after the final dot).</summary>
    CommandTimeout,
    /// <summary>The connection dropped mid-transaction; the outcome of DATA may be unknown.</summary>
    ConnectionLost,
    /// <summary>The firewall broke the protocol (garbage reply, unexpected code).</summary>
    ProtocolError,
    /// <summary>The body could not be read from the spool. A local fault, not the firewall's.</summary>
    LocalError,
    /// <summary>
    /// Abandoned by the router while in flight, because the firewall tripped meanwhile. Says nothing
    /// new about the firewall; the job is placed elsewhere at once.
    /// </summary>
    Aborted,
    /// <summary>
    /// The firewall refused the router's AUTH credentials (535), does not offer AUTH though credentials are
    /// configured, or demands AUTH the router does not have (530). A fault of the path, not of the message.
    /// </summary>
    AuthFailed,
    /// <summary>
    /// The firewall's EHLO lacks an extension the message needs (SMTPUTF8, 8BITMIME, REQUIRETLS), found once
    /// connected; nothing was sent. Says nothing about the firewall's health: the job is placed again at once,
    /// now that the firewall's offer is known, on one that offers it, or returned to its sender when none does.
    /// </summary>
    ExtensionNotOffered,

    /// <summary>
    /// The part's connector demands TLS (<c>tls = required|verify</c> in its block) that this firewall's session could
    /// not give (STARTTLS not offered, handshake or certificate refused). The route's policy, not the firewall's
    /// health: the firewall keeps its other work and the part waits for its retry.
    /// </summary>
    RouteTlsFailed,
}
