using System.Net;
using SmtpServer;

namespace Router.Actors.Ingress;

/// <summary>
/// What the router remembers about one SMTP session, kept in the session's property bag (the
/// SmtpServer library gives filters and stores no other per-session place).
/// </summary>
internal sealed class SessionState
{
    private const string Key = "Router:Session";

    public string Helo { get; set; } = string.Empty;
    public int Recipients { get; set; }

    public static SessionState Of(ISessionContext context)
    {
        if (context.Properties.TryGetValue(Key, out var value) && value is SessionState state)
            return state;
        state = new SessionState();
        context.Properties[Key] = state;
        return state;
    }

    public static IPAddress? ClientAddress(ISessionContext context) =>
        context.Properties.TryGetValue(SmtpServer.Net.EndpointListener.RemoteEndPointKey, out var value) && value is IPEndPoint endpoint
            ? (endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address)
            : null;
}
