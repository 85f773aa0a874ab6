using MailKit;

namespace Router.Actors.Delivery;

/// <summary>
/// Watches the commands MailKit sends while it opens a session, to know when STARTTLS went out. MailKit reads the
/// greeting, sends EHLO, STARTTLS, shakes hands and sends EHLO again in one call; this tells a greeting timeout from
/// a TLS failure and lets the handshake have its own timeout (tls-handshake-timeout).
/// </summary>
internal sealed class SessionPhase : IProtocolLogger
{
    private static ReadOnlySpan<byte> StartTls => "STARTTLS"u8;

    /// <summary>Called once, when the STARTTLS command is written.</summary>
    public Action? OnStartTls { get; set; }

    public bool StartTlsSent { get; private set; }

    /// <summary>Set once the session is open: the rest of the connection's traffic is not looked at.</summary>
    public bool Settled { get; set; }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri)
    {
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (Settled || StartTlsSent || !buffer.AsSpan(offset, count).StartsWith(StartTls))
            return;
        StartTlsSent = true;
        OnStartTls?.Invoke();
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
    }

    public void Dispose()
    {
    }
}
