using System.Net;

namespace Router.Actors.Configuration;

/// <summary><c>router.smtp</c>: the listener that accepts mail from internal servers.</summary>
public sealed record SmtpOptions
{
    /// <summary>RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients per message.</summary>
    public const int MinRecipientsLimit = 100;

    /// <summary><c>listen</c>: endpoints to accept SMTP on, as <c>ip:port</c> (<c>[v6]:port</c>). Default <c>127.0.0.1:2525</c>.</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, 2525)];

    /// <summary><c>hostname</c>: the name the router gives in its greeting, EHLO reply and Received header. Default <c>router.localdomain</c>.</summary>
    public string Hostname { get; init; } = "router.localdomain";

    /// <summary><c>max-message-size</c>: bytes; larger mail gets 552 5.3.4 and is advertised in SIZE. Default 36700160 (35 MiB).</summary>
    public long MaxMessageSize { get; init; } = 36_700_160;

    /// <summary><c>max-recipients</c>: per message; more get 452 4.5.3. At least 100. Default 500.</summary>
    public int MaxRecipients { get; init; } = 500;

    /// <summary><c>max-connections</c>: concurrent SMTP sessions. Default 1000.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary><c>session-timeout</c>: longest a whole SMTP session may last. Default 30 min.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary><c>command-timeout</c>: longest wait for the client's next command (RFC 5321 §4.5.3.2.7). Default 5 min.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>max-hops</c>: mail with more Received headers than this is a loop and refused with 554 5.4.6. Default 100.</summary>
    public int MaxHops { get; init; } = 100;

    /// <summary>
    /// <c>bare-line-endings</c>: a message with a bare CR, bare LF or NUL is refused with 550 5.6.0
    /// (<c>reject</c>, the default) or stored with CRLF line endings (<c>normalize</c>). Either way no
    /// smuggled end-of-data sequence leaves the router.
    /// </summary>
    public bool NormalizeBareLineEndings { get; init; }

    /// <summary>On shutdown, how long transactions in flight may take to finish. Default 30 s.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>banner</c>: the text after <c>220</c> in the greeting. The configured template may contain
    /// <c>{hostname}</c>; here it is already expanded. Default <c>{hostname} ESMTP Router</c>.
    /// </summary>
    public string Banner { get; init; } = "router.localdomain ESMTP Router";

    /// <summary><c>relay.allowed-networks</c>: CIDR networks that may relay; others get 554 5.7.1 at RCPT. Default loopback only.</summary>
    public IReadOnlyList<IPNetwork> RelayAllowedNetworks
    {
        get => Relay.AllowedNetworks;
        init => Relay = Relay with { AllowedNetworks = value };
    }

    /// <summary><c>relay</c> and <c>auth.required</c>: the relay policy of the default listener, inherited by listener blocks.</summary>
    public RelayPolicy Relay { get; init; } = new();

    /// <summary>
    /// <c>listeners</c>: named listener blocks, each with its own endpoints and relay policy. Empty (the default): one
    /// listener, <c>default</c>, on <see cref="Listen"/> with <see cref="Relay"/>, as before listener blocks existed.
    /// </summary>
    public IReadOnlyList<SmtpListenerOptions> Listeners { get; init; } = [];

    /// <summary>The listeners to open: the blocks, or the default listener made of the top-level keys.</summary>
    public IReadOnlyList<SmtpListenerOptions> EffectiveListeners =>
        Listeners.Count > 0 ? Listeners : [new SmtpListenerOptions(DefaultListener, Listen, Relay)];

    /// <summary>Whether <paramref name="listener"/> wants STARTTLS before MAIL and AUTH: its own <c>tls.required</c>, else the top-level one.</summary>
    public bool TlsRequiredOn(SmtpListenerOptions listener) => listener.TlsRequired ?? Tls.Required;

    /// <summary>Whether <paramref name="listener"/> allows AUTH without TLS: its own <c>auth.allow-insecure</c>, else the top-level one.</summary>
    public bool AuthAllowInsecureOn(SmtpListenerOptions listener) => listener.AuthAllowInsecure ?? Auth.AllowInsecure;

    /// <summary>The largest message <paramref name="listener"/> takes: its own <c>max-message-size</c>, else the top-level one.</summary>
    public long MaxMessageSizeOn(SmtpListenerOptions listener) => Math.Min(listener.MaxMessageSize ?? MaxMessageSize, MaxMessageSize);

    /// <summary>The listener called <paramref name="name"/> (the first when there is none of that name).</summary>
    public SmtpListenerOptions ListenerNamed(string? name) =>
        EffectiveListeners.FirstOrDefault(l => l.Name == name) ?? EffectiveListeners[0];

    /// <summary>The name of the listener made of the top-level keys when no <c>listeners</c> block is given.</summary>
    public const string DefaultListener = "default";

    /// <summary><c>tls</c>: STARTTLS. Default: no certificate, not offered.</summary>
    public SmtpTlsOptions Tls { get; init; } = new();

    /// <summary><c>auth</c>: SMTP AUTH. Default: no users, not offered.</summary>
    public SmtpAuthOptions Auth { get; init; } = new();

    /// <summary>The listener's protective limits: per-address connections, line lengths, errors, DATA timeouts, memory.</summary>
    public SmtpLimits Limits { get; init; } = new();
}
