namespace Router.Actors.Configuration;

/// <summary>One problem in a configuration: the full HOCON key at fault (or the file) and what is wrong with it.</summary>
public sealed record RouterConfigError(string Key, string Problem)
{
    /// <summary>The line an operator sees: <c>key: problem</c>.</summary>
    public override string ToString() => $"{Key}: {Problem}";
}
