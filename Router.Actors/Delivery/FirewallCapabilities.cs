using MailKit.Net.Smtp;

namespace Router.Actors.Delivery;

/// <summary>
/// The extensions a firewall's EHLO reply offered on the last session opened to it, those that
/// decide how (or whether) a message can go there: SMTPUTF8 (RFC 6531), 8BITMIME (RFC 6152),
/// CHUNKING (RFC 3030), DSN (RFC 3461), SIZE (RFC 1870) and REQUIRETLS (RFC 8689).
/// </summary>
/// <param name="MaxSize">The SIZE the firewall announced; null when it announced none or no limit (SIZE 0).</param>
public sealed record FirewallCapabilities(bool Smtputf8, bool EightBitMime, bool Chunking, bool Dsn, long? MaxSize, bool RequireTls)
{
    public static FirewallCapabilities From(SmtpCapabilities offered, uint maxSize) => new(
        offered.HasFlag(SmtpCapabilities.UTF8),
        offered.HasFlag(SmtpCapabilities.EightBitMime),
        offered.HasFlag(SmtpCapabilities.Chunking),
        offered.HasFlag(SmtpCapabilities.Dsn),
        offered.HasFlag(SmtpCapabilities.Size) && maxSize > 0 ? maxSize : null,
        offered.HasFlag(SmtpCapabilities.RequireTLS));

    /// <summary>The EHLO keywords, as an operator reads them ("SIZE 10485760" with its limit).</summary>
    public IReadOnlyList<string> Keywords =>
    [
        .. Smtputf8 ? ["SMTPUTF8"] : Array.Empty<string>(),
        .. EightBitMime ? ["8BITMIME"] : Array.Empty<string>(),
        .. Chunking ? ["CHUNKING"] : Array.Empty<string>(),
        .. Dsn ? ["DSN"] : Array.Empty<string>(),
        .. MaxSize is { } size ? [$"SIZE {size}"] : Array.Empty<string>(),
        .. RequireTls ? ["REQUIRETLS"] : Array.Empty<string>(),
    ];
}
