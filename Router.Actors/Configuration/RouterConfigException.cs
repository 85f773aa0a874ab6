namespace Router.Actors.Configuration;

/// <summary>
/// A configuration the node must not start with. The message holds one line per problem, each starting with the
/// full HOCON key at fault, e.g. <c>router.connectors.partner.address-spaces[1]: cost 0 is out of range 1-100</c>,
/// so that an operator can grep the log and find the line in the file. Every problem of a file is reported at once
/// (<see cref="Errors"/>); the first is also <see cref="Key"/> and the message's first line.
/// </summary>
public sealed class RouterConfigException : Exception
{
    public RouterConfigException(string key, string problem)
        : this([new RouterConfigError(key, problem)], null)
    {
    }

    public RouterConfigException(string key, string problem, Exception innerException)
        : this([new RouterConfigError(key, problem)], innerException)
    {
    }

    /// <summary>Several problems at once, in the order they were found; <paramref name="innerException"/> is the first one's cause, if any.</summary>
    public RouterConfigException(IReadOnlyList<RouterConfigError> errors, Exception? innerException)
        : base(string.Join('\n', NotEmpty(errors)), innerException)
    {
        Errors = errors;
        Key = errors[0].Key;
    }

    /// <summary>The full key (or, for a file that cannot be read or parsed, the file) of the first problem.</summary>
    public string Key { get; }

    /// <summary>Every problem found, in the order of the message's lines.</summary>
    public IReadOnlyList<RouterConfigError> Errors { get; }

    private static IReadOnlyList<RouterConfigError> NotEmpty(IReadOnlyList<RouterConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count > 0 ? errors : throw new ArgumentException("A configuration exception needs at least one error.", nameof(errors));
    }
}
