namespace Router.Actors.Ingress;

/// <summary>
/// The message data all SMTP sessions hold in memory together. The library keeps a message's
/// whole data in its pipe until the final dot, so each session in DATA charges what it has
/// buffered, and returns it when the data ends or the session does. Thread-safe.
/// </summary>
public sealed class InflightBudget(long limit)
{
    private long _used;

    public long Limit { get; } = limit;

    /// <summary>Bytes of message data buffered by all sessions now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Whether a transaction that declared <paramref name="declaredSize"/> bytes (0: none declared) may start its DATA.</summary>
    public bool Admits(long declaredSize) => declaredSize > 0 ? Used + declaredSize <= Limit : Used < Limit;

    /// <summary>Adds (or, negative, returns) bytes; answers whether the total stays within the limit.</summary>
    public bool Charge(long bytes) => Interlocked.Add(ref _used, bytes) <= Limit;
}
