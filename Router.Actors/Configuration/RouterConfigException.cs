namespace Router.Actors.Configuration;

/// <summary>
/// A configuration the node must not start with. The message is one line that starts with the
/// full HOCON key at fault, e.g. <c>router.connectors.partner.address-spaces[1]: cost 0 is out of range 1-100</c>,
/// so that an operator can grep the log and find the line in the file.
/// </summary>
public sealed class RouterConfigException : Exception
{
    public RouterConfigException(string key, string problem)
        : base($"{key}: {problem}")
    {
        Key = key;
    }

    public RouterConfigException(string key, string problem, Exception innerException)
        : base($"{key}: {problem}", innerException)
    {
        Key = key;
    }

    /// <summary>The full key (or, for a file that cannot be read or parsed, the file) at fault.</summary>
    public string Key { get; }
}
