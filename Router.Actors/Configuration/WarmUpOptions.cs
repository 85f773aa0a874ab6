namespace Router.Actors.Configuration;

/// <summary>
/// <c>router.warm-up</c>: before <c>router run</c> opens its listener, it sends synthetic mail through a throwaway
/// in-process node (its own temporary spool, an in-process SMTP sink as its firewall), so that the code of the mail
/// path is compiled before the first real message arrives. Nothing of it touches the real spool, tracking log or
/// metrics.
/// </summary>
public sealed record WarmUpOptions
{
    /// <summary><c>messages</c>: how many synthetic messages; 0 turns the warm-up off. Default 1000.</summary>
    public int Messages { get; init; } = 1000;

    /// <summary><c>sessions</c>: concurrent SMTP sessions that send them. Default 10.</summary>
    public int Sessions { get; init; } = 10;

    /// <summary><c>max-time</c>: the warm-up gives up after this long and the node starts anyway. Default 30s.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the node warms up at all.</summary>
    public bool Enabled => Messages > 0;
}
