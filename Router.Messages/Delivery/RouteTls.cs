namespace Router.Messages.Delivery;

/// <summary>
/// The least TLS a part's route (its connector's <c>tls</c>) demands of the firewall session that carries it, over
/// whatever the firewall's own <c>tls</c> says. A session opened with weaker TLS is not used for the part.
/// </summary>
public enum RouteTls
{
    /// <summary>No demand of the route's own: the firewall's <c>tls</c> applies.</summary>
    None = 0,

    /// <summary>STARTTLS must succeed; the certificate is not checked.</summary>
    Required = 1,

    /// <summary>STARTTLS must succeed and the certificate chain to a trusted root and name the firewall.</summary>
    Verify = 2,
}
