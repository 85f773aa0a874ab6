using System.Net;

namespace Router.Actors.Configuration;

/// <summary><c>router.admin</c>: the node's HTTP admin endpoint, which the operator client (<c>router cmd</c>) talks to.</summary>
public sealed record AdminOptions
{
    /// <summary>The default port, the one Petabridge.Cmd made familiar to Akka.NET operators.</summary>
    public const int DefaultPort = 9110;

    /// <summary><c>enabled</c>: whether the node serves the admin endpoint. Default on.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>listen</c>: <c>ip:port</c> the endpoint binds; port 0 picks a free port. Default <c>127.0.0.1:9110</c>.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>
    /// <c>token</c>: the bearer token every request must carry (<c>Authorization: Bearer ...</c>).
    /// Required when <see cref="Listen"/> is not a loopback address; optional on loopback, and
    /// enforced there too when set. Default none.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Whether the endpoint may start as configured: anything but loopback needs a token.</summary>
    public bool TokenMissingForNonLoopback => Enabled && !IPAddress.IsLoopback(Listen.Address) && string.IsNullOrEmpty(Token);
}
