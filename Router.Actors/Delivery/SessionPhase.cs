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

    private static ReadOnlySpan<byte> Ehlo => "EHLO"u8;

    /// <summary>Called once, when the STARTTLS command is written.</summary>
    public Action? OnStartTls { get; set; }

    public bool StartTlsSent { get; private set; }

    /// <summary>Called once, when the first bytes of the greeting arrive (the detector then judges the EHLO).</summary>
    public Action? OnGreeting { get; set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamps of the greeting, the first EHLO and STARTTLS; 0 until seen.</summary>
    public long GreetingAt { get; private set; }

    public long EhloSentAt { get; private set; }

    public long StartTlsAt { get; private set; }

    /// <summary>Set once the session is open: the rest of the connection's traffic is not looked at.</summary>
    public bool Settled { get; set; }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri)
    {
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (Settled || StartTlsSent)
            return;
        if (EhloSentAt == 0 && buffer.AsSpan(offset, count).StartsWith(Ehlo))
            EhloSentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!buffer.AsSpan(offset, count).StartsWith(StartTls))
            return;
        StartTlsSent = true;
        StartTlsAt = System.Diagnostics.Stopwatch.GetTimestamp();
        OnStartTls?.Invoke();
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (Settled || GreetingAt != 0 || count == 0)
            return;
        GreetingAt = System.Diagnostics.Stopwatch.GetTimestamp();
        OnGreeting?.Invoke();
    }

    public void Dispose()
    {
    }
}
