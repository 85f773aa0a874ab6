namespace Router.Node.Cmd;

/// <summary>A failed operator command: one line for the operator and the exit code for scripts.</summary>
public sealed class CmdException(string message, int exitCode) : Exception(message)
{
    /// <summary>The node answered with an error (unknown id, bad token, not in a cluster...).</summary>
    public const int NodeError = 1;

    /// <summary>The command line is wrong.</summary>
    public const int UsageError = 2;

    /// <summary>No node answered at the endpoint.</summary>
    public const int Unreachable = 3;

    public int ExitCode { get; } = exitCode;

    public static CmdException Usage(string message) => new(message, UsageError);
}
