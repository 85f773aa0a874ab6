namespace Router.Actors.Configuration;

/// <summary><c>tls</c> of a firewall: whether and how the router secures its SMTP connections to it with STARTTLS.</summary>
public enum FirewallTls
{
    /// <summary><c>none</c>: never STARTTLS, even when the firewall offers it.</summary>
    None,

    /// <summary>
    /// <c>opportunistic</c> (the default): STARTTLS whenever the firewall offers it, any certificate accepted; plain
    /// text when it does not offer it. A handshake that fails is a failed attempt, never a fall-back to plain text
    /// on that connection.
    /// </summary>
    Opportunistic,

    /// <summary><c>required</c>: STARTTLS must be offered and succeed, or the attempt fails; the certificate is not checked.</summary>
    Required,

    /// <summary>
    /// <c>verify</c>: as <see cref="Required"/>, and the certificate must chain to a trusted root (the system's, or
    /// only <c>tls-ca-file</c> when set) and name the firewall (<c>host</c>, or <c>tls-server-name</c> when set).
    /// </summary>
    Verify,
}
