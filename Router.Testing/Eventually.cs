namespace Router.Testing;

/// <summary>
/// Awaits a condition that other threads make true, checking it at a short interval and failing
/// with a message once the deadline passes. For state with no completion signal to await.
/// </summary>
/// <remarks>
/// It fails with a <see cref="TimeoutException"/> rather than a test framework's assertion so that
/// this library depends on no test framework (the `router` executable references it for its demo);
/// any test runner reports the exception and its message as the failure.
/// </remarks>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because) =>
        TrueAsync(condition, timeout, () => because);

    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {timeout.TotalSeconds:0.#}s: {because()}");
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because) =>
        TrueAsync(condition, timeout, () => because);

    /// <summary>The same for a condition that must itself await (an HTTP request), without blocking a pool thread.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {timeout.TotalSeconds:0.#}s: {because()}");
            await Task.Delay(20);
        }
    }
}
