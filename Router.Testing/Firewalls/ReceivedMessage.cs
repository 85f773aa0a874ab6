using System.Security.Authentication;

namespace Router.Testing.Firewalls;

/// <summary>
/// One message a <see cref="FakeFirewall"/> took. <paramref name="Data"/> is the DATA content exactly as the
/// client meant it: dot-unstuffed, including the CRLF that ends the last line (not the terminating ".").
/// <paramref name="MailFrom"/> is empty for the null reverse-path.
/// </summary>
public sealed record ReceivedMessage(string MailFrom, IReadOnlyList<string> Recipients, byte[] Data, DateTimeOffset At)
{
    /// <summary>The message came over a connection secured with STARTTLS.</summary>
    public bool OverTls { get; init; }

    /// <summary>The TLS version of that connection; <see cref="SslProtocols.None"/> in plain text.</summary>
    public SslProtocols TlsProtocol { get; init; }

    /// <summary>The MAIL FROM parameters as sent (SMTPUTF8, BODY=8BITMIME, REQUIRETLS...), keywords in upper case; a keyword alone has an empty value.</summary>
    public IReadOnlyDictionary<string, string> MailParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The user the session authenticated as (SMTP AUTH); null when it did not.</summary>
    public string? AuthenticatedUser { get; init; }
}
