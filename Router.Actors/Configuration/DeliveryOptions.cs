namespace Router.Actors.Configuration;

/// <summary><c>router.delivery</c>: what happens to mail that could not be delivered yet.</summary>
public sealed record DeliveryOptions
{
    /// <summary><c>retry-delay</c>: wait before a temporarily failed delivery (4xx, connection failure) is tried again. Default 60 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(60);
}
