using System.Diagnostics.CodeAnalysis;

namespace Router.Actors.Routing;

/// <summary>
/// One entry of a connector's <c>senders</c> or <c>reject-senders</c> list (Postfix's sender-dependent
/// relays, Exchange's delivery restrictions): which envelope senders it names.
/// <list type="bullet">
/// <item><c>local@domain</c>: exactly that address (case-insensitive, the domain in punycode);</item>
/// <item><c>domain</c> or <c>@domain</c>: any address at exactly that domain;</item>
/// <item><c>*.domain</c>: any address at a subdomain of it (not the domain itself);</item>
/// <item><c>&lt;&gt;</c>: the null sender (bounces and other reports);</item>
/// <item><c>*</c>: every sender, the null sender included.</item>
/// </list>
/// </summary>
public sealed record SenderPattern
{
    public const string NullSender = "<>";

    private SenderPattern(string text, string? address, AddressSpace? domain, bool any, bool nullSender)
    {
        Text = text;
        _address = address;
        _domain = domain;
        _any = any;
        _null = nullSender;
    }

    private readonly string? _address;
    private readonly AddressSpace? _domain;
    private readonly bool _any;
    private readonly bool _null;

    /// <summary>The pattern as configured, for logs and operators.</summary>
    public string Text { get; }

    /// <summary>Whether the envelope sender (empty for the null sender) is one this pattern names.</summary>
    public bool Matches(string sender)
    {
        if (_any)
            return true;
        if (sender.Length == 0)
            return _null;
        if (_null)
            return false;
        var at = sender.LastIndexOf('@');
        if (at < 0)
            return false;
        if (!DomainName.TryNormalize(sender[(at + 1)..], out var domain, out _))
            return false;
        return _address is not null
            ? string.Equals(_address, $"{sender[..at].ToLowerInvariant()}@{domain}", StringComparison.Ordinal)
            : _domain!.Matches(domain);
    }

    public override string ToString() => Text;

    public static bool TryParse(string? text, [NotNullWhen(true)] out SenderPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        var trimmed = text?.Trim() ?? string.Empty;
        switch (trimmed)
        {
            case "":
                error = "a sender pattern is empty; expected local@domain, domain, *.domain, <> or *";
                return false;
            case AddressSpace.Everything:
                pattern = new SenderPattern(trimmed, null, null, any: true, nullSender: true);
                error = null;
                return true;
            case NullSender:
                pattern = new SenderPattern(trimmed, null, null, any: false, nullSender: true);
                error = null;
                return true;
        }

        var at = trimmed.LastIndexOf('@');
        var local = at < 0 ? null : trimmed[..at];
        var domainText = at < 0 ? trimmed : trimmed[(at + 1)..];
        if (local is not null && local.Contains('*'))
        {
            error = $"sender pattern '{trimmed}': a wildcard in the local part is not supported; use the domain alone for every address at it";
            return false;
        }

        if (!AddressSpace.TryParse($"{domainText};1", out var space, out var domainError) || space.Kind == AddressSpaceKind.Everything)
        {
            error = $"sender pattern '{trimmed}': {domainError ?? "expected a domain after '@'"}";
            return false;
        }

        if (!string.IsNullOrEmpty(local) && space.Kind == AddressSpaceKind.Subdomains)
        {
            error = $"sender pattern '{trimmed}': an address cannot have a '*.' domain";
            return false;
        }

        pattern = string.IsNullOrEmpty(local)
            ? new SenderPattern(trimmed, null, space, any: false, nullSender: false)
            : new SenderPattern(trimmed, $"{local.ToLowerInvariant()}@{space.Pattern}", null, any: false, nullSender: false);
        error = null;
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>; for tests and code-built policies.</summary>
    public static SenderPattern Parse(string text) =>
        TryParse(text, out var pattern, out var error) ? pattern : throw new FormatException(error);
}
