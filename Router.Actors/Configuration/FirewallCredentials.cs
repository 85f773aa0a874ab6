namespace Router.Actors.Configuration;

/// <summary>
/// <c>auth</c> of a firewall: the user name and password the router authenticates with (SMTP AUTH). The password
/// never comes from the configuration text itself, only from a file or an environment variable, and
/// <see cref="ToString"/> never shows it (options are logged and compared as records).
/// </summary>
public sealed class FirewallCredentials
{
    public FirewallCredentials(string user, string password, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(password);
        User = user;
        Password = password;
        Source = source;
    }

    public string User { get; }

    public string Password { get; }

    /// <summary>Where the password was read from, e.g. <c>file /etc/router/fw-a.secret</c> or <c>env FW_A_PASSWORD</c>; for logs.</summary>
    public string Source { get; }

    public override string ToString() => $"{User} (password from {Source})";
}
