namespace Router.Actors.Delivery.Dsn;

/// <summary>What of the original a DSN returns (the ESMTP RET parameter, RFC 3461 §4.3).</summary>
public enum DsnReturn
{
    /// <summary>RET=HDRS, and the default when the client gave no RET.</summary>
    Headers,

    /// <summary>RET=FULL: the whole message, within <see cref="DsnRequest.MaxFullReturnBytes"/>.</summary>
    Full,
}
