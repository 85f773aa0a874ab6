namespace Router.Actors.Delivery.Dsn;

/// <summary>The RFC 3464 Action of one recipient in a delivery status notification.</summary>
public enum DsnAction
{
    Failed,
    Delayed,
    Delivered,
    Relayed,
}
