namespace Router.Actors.Configuration;

/// <summary>
/// Collects the problems found while the configuration is read, so that the node refuses to start once, naming every
/// problem, instead of one per attempt (as YARP's config validators do). A reader wraps each independent check in
/// <see cref="Read{T}"/> and carries on with a fallback value; <see cref="ThrowIfAny"/> ends the read.
/// </summary>
internal sealed class ConfigErrors
{
    private readonly List<RouterConfigException> _found = [];

    /// <summary>The value <paramref name="read"/> gives, or <paramref name="fallback"/> with its problem noted.</summary>
    public T Read<T>(Func<T> read, T fallback)
    {
        TryRead(read, fallback, out var value);
        return value;
    }

    /// <summary>As <see cref="Read{T}"/>; false when the read failed, so that checks that depend on it can be skipped.</summary>
    public bool TryRead<T>(Func<T> read, T fallback, out T value)
    {
        try
        {
            value = read();
            return true;
        }
        catch (RouterConfigException e)
        {
            _found.Add(e);
            value = fallback;
            return false;
        }
    }

    /// <summary>Runs a check that throws <see cref="RouterConfigException"/>; false when it did.</summary>
    public bool Check(Action check) => TryRead(() => { check(); return true; }, false, out _);

    /// <summary>Notes a problem found without an exception.</summary>
    public void Add(string key, string problem) => _found.Add(new RouterConfigException(key, problem));

    /// <summary>
    /// Throws when anything was found: the one exception itself when there is one, so that a single problem reads
    /// exactly as it did before errors were collected; otherwise one that lists them all.
    /// </summary>
    public void ThrowIfAny()
    {
        if (_found.Count == 1)
        {
            throw _found[0];
        }

        if (_found.Count > 1)
        {
            throw new RouterConfigException(_found.SelectMany(e => e.Errors).ToArray(), _found[0].InnerException);
        }
    }
}
