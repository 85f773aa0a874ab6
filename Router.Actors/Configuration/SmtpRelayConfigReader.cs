using System.Net;
using Akka.Configuration.Hocon;
using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads the relay policy (<c>router.smtp.relay</c>, <c>router.smtp.auth.required</c>) and the listener blocks
/// (<c>router.smtp.listeners</c>). A listener block's keys override the top-level ones; what it leaves out it inherits.
/// </summary>
internal static class SmtpRelayConfigReader
{
    public const string ListenersKey = SmtpConfigReader.Key + ".listeners";

    private static readonly HashSet<string> ListenerKeys = ["listen", "relay", "auth", "tls", "max-message-size", "max-connections"];
    private static readonly HashSet<string> ListenerTlsKeys = ["required"];
    private static readonly HashSet<string> ListenerRelayKeys =
        ["allowed-networks", "domains", "recipients", "recipients-file", "callout", "callout-timeout", "callout-cache"];
    private static readonly HashSet<string> ListenerAuthKeys = ["required", "allow-insecure"];

    /// <summary>The top-level relay policy (the default listener's, and what listener blocks inherit).</summary>
    public static RelayPolicy Read(HoconReader reader, SmtpAuthOptions auth, ConfigErrors errors) =>
        Read(reader, SmtpConfigReader.Key, inherited: null, auth, errors);

    public static IReadOnlyList<SmtpListenerOptions> ReadListeners(HoconReader reader, RelayPolicy inherited, SmtpAuthOptions auth, bool hasCertificate,
        long maxMessageSize, ConfigErrors errors)
    {
        var listeners = new List<SmtpListenerOptions>();
        var seen = new Dictionary<IPEndPoint, string>();
        foreach (var (name, value) in errors.Read(() => HoconReader.Entries(reader.At(ListenersKey), ListenersKey), []))
        {
            var key = HoconReader.Key(ListenersKey, name);
            if (!errors.Check(() => ConfigRules.RequireId(name, key, "listener")))
                continue;
            if (!errors.TryRead(() => HoconReader.Object(value, key), null, out var block) || block is null)
                continue;
            ConfigRules.RejectUnknownKeys(block, key, ListenerKeys, errors);
            if (HoconReader.Child(block, "relay") is { } relay && relay.IsObject())
                ConfigRules.RejectUnknownKeys(relay.GetObject(), $"{key}.relay", ListenerRelayKeys, errors);
            if (HoconReader.Child(block, "auth") is { } authBlock && authBlock.IsObject())
                ConfigRules.RejectUnknownKeys(authBlock.GetObject(), $"{key}.auth", ListenerAuthKeys, errors);
            if (HoconReader.Child(block, "tls") is { } tlsBlock && tlsBlock.IsObject())
                ConfigRules.RejectUnknownKeys(tlsBlock.GetObject(), $"{key}.tls", ListenerTlsKeys, errors);
            // STARTTLS and AUTH without TLS per listener (a submission port that wants TLS beside an inbound one that
            // cannot); unset, the top-level keys apply. The certificate is the listener's shared one.
            var tlsRequiredKey = $"{key}.tls.required";
            bool? tlsRequired = reader.At(tlsRequiredKey) is { } tlsValue ? errors.Read(() => ConfigRules.Switch(tlsValue, tlsRequiredKey, false), false) : null;
            if (tlsRequired == true && !hasCertificate)
                errors.Add(tlsRequiredKey, $"STARTTLS cannot be required without a certificate; set {SmtpConfigReader.Key}.tls.certificate");
            var insecureKey = $"{key}.auth.allow-insecure";
            bool? allowInsecure = reader.At(insecureKey) is { } insecureValue ? errors.Read(() => ConfigRules.Switch(insecureValue, insecureKey, false), false) : null;
            // A smaller size on one listener (submission); the top-level size stays the listener's hard limit.
            var sizeKey = $"{key}.max-message-size";
            long? size = reader.At(sizeKey) is { } sizeValue
                ? errors.Read<long?>(() =>
                {
                    var bytes = HoconReader.ByteSize(sizeValue, sizeKey, maxMessageSize);
                    return bytes < 1024
                        ? throw new RouterConfigException(sizeKey, $"{bytes} bytes is too small (at least 1 KiB)")
                        : bytes > maxMessageSize
                            ? throw new RouterConfigException(sizeKey, $"{bytes} is above {SmtpConfigReader.Key}.max-message-size ({maxMessageSize}), every listener's upper bound")
                            : bytes;
                }, null)
                : null;

            var listenKey = $"{key}.listen";
            if (reader.At(listenKey) is null)
            {
                errors.Add(listenKey, "is required in a listener block, e.g. listen = [\"0.0.0.0:25\"]");
                continue;
            }
            var listen = SmtpConfigReader.ReadListen(reader, listenKey, errors);
            foreach (var endpoint in listen.Where(e => e.Port != 0))
            {
                if (seen.TryGetValue(endpoint, out var other))
                    errors.Add(listenKey, $"{endpoint} is also listener {other}'s endpoint");
                else
                    seen[endpoint] = name;
            }
            listeners.Add(new SmtpListenerOptions(name, listen, Read(reader, key, inherited, auth, errors))
            {
                TlsRequired = tlsRequired,
                AuthAllowInsecure = allowInsecure,
                MaxMessageSize = size,
                MaxConnections = reader.At($"{key}.max-connections") is not null
                    ? errors.Read<int?>(() => ConfigRules.AtLeastOne(reader, $"{key}.max-connections"), null)
                    : null,
            });
        }
        if (listeners.Count == 0 && reader.At(ListenersKey) is { } set && set.IsObject() && set.GetObject().Items.Count > 0)
            errors.Add(ListenersKey, "no listener could be read");
        return listeners;
    }

    private static RelayPolicy Read(HoconReader reader, string key, RelayPolicy? inherited, SmtpAuthOptions auth, ConfigErrors errors)
    {
        var relayKey = $"{key}.relay";
        // A key the block does not set is inherited (listener blocks) or the reference default (top level).
        HoconValue? Value(string name, string fullKey) => inherited is null ? reader.AtOrDefault(fullKey) : reader.At(fullKey);
        bool Set(string fullKey) => inherited is null || reader.At(fullKey) is not null;

        var networksKey = $"{relayKey}.allowed-networks";
        var networks = Set(networksKey) ? SmtpConfigReader.ReadNetworks(reader, networksKey, errors) : inherited!.AllowedNetworks;

        var domainsKey = $"{relayKey}.domains";
        var domains = Set(domainsKey) ? ReadDomains(Value("domains", domainsKey), domainsKey, errors) : inherited!.Domains;

        var requiredKey = $"{key}.auth.required";
        var requireAuth = Set(requiredKey)
            ? errors.Read(() => ConfigRules.Switch(Value("required", requiredKey) ?? HoconReader.Default($"{SmtpConfigReader.Key}.auth.required"), requiredKey, false), false)
            : inherited!.RequireAuth;
        if (requireAuth && !auth.Enabled)
            errors.Add(requiredKey, $"AUTH cannot be required without users; set {SmtpConfigReader.Key}.auth.users");

        return new RelayPolicy
        {
            AllowedNetworks = networks,
            Domains = domains,
            RequireAuth = requireAuth,
            Recipients = ReadRecipients(reader, relayKey, inherited?.Recipients, domains, errors),
        };
    }

    private static IReadOnlyList<AddressSpace> ReadDomains(HoconValue? value, string key, ConfigErrors errors)
    {
        var domains = new List<AddressSpace>();
        foreach (var (text, itemKey) in errors.Read(() => HoconReader.StringList(value, key), []))
        {
            if (text.Trim() == AddressSpace.Everything)
            {
                errors.Add(itemKey, "\"*\" would make the router an open relay; list the internal domains (corp.example, *.corp.example)");
                continue;
            }
            if (AddressSpace.TryParse($"{text};{AddressSpace.MinCost}", out var space, out var error))
                domains.Add(space);
            else
                errors.Add(itemKey, error);
        }
        return domains;
    }

    private static RecipientValidationOptions ReadRecipients(HoconReader reader, string relayKey, RecipientValidationOptions? inherited,
        IReadOnlyList<AddressSpace> domains, ConfigErrors errors)
    {
        var listKey = $"{relayKey}.recipients";
        var fileKey = $"{relayKey}.recipients-file";
        var calloutKey = $"{relayKey}.callout";
        var timeoutKey = $"{relayKey}.callout-timeout";
        var cacheKey = $"{relayKey}.callout-cache";
        bool Set(string fullKey) => inherited is null || reader.At(fullKey) is not null;
        HoconValue? Value(string fullKey) => inherited is null ? reader.AtOrDefault(fullKey) : reader.At(fullKey);
        HoconValue? Default(string name) => HoconReader.Default($"{SmtpConfigReader.Key}.relay.{name}");

        var addresses = inherited?.Addresses;
        var file = inherited?.File;
        if (Set(listKey) || Set(fileKey))
        {
            HashSet<string>? set = null;
            var listed = Set(listKey) ? errors.Read(() => HoconReader.StringList(Value(listKey), listKey), []) : [];
            foreach (var (text, itemKey) in listed)
                Add(ref set, text, itemKey, errors);
            file = Set(fileKey) ? errors.Read(() => HoconReader.String(Value(fileKey), fileKey), null) : file;
            if (string.IsNullOrWhiteSpace(file))
                file = null;
            if (file is not null)
            {
                set ??= new HashSet<string>(StringComparer.Ordinal);
                try
                {
                    var lines = System.IO.File.ReadAllLines(file);
                    for (var i = 0; i < lines.Length; i++)
                    {
                        var line = lines[i];
                        var hash = line.IndexOf('#');
                        var text = (hash >= 0 ? line[..hash] : line).Trim();
                        if (text.Length > 0)
                            Add(ref set, text, $"{fileKey} ({file} line {i + 1})", errors);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(fileKey, $"cannot read {file}: {e.Message}");
                }
            }
            addresses = set;
        }

        var callout = inherited?.Callout;
        if (Set(calloutKey))
        {
            var text = errors.Read(() => HoconReader.String(Value(calloutKey), calloutKey), null)?.Trim();
            callout = string.IsNullOrEmpty(text) ? null : errors.Read(() => ParseHostPort(text, calloutKey), null);
        }

        var timeout = Set(timeoutKey)
            ? errors.Read(() => ConfigRules.PositiveDuration(Value(timeoutKey) ?? Default("callout-timeout"), timeoutKey, TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(10))
            : inherited!.CalloutTimeout;
        var cache = Set(cacheKey)
            ? errors.Read(() =>
            {
                var value = HoconReader.Duration(Value(cacheKey) ?? Default("callout-cache"), cacheKey, TimeSpan.FromMinutes(5));
                return value >= TimeSpan.Zero ? value : throw new RouterConfigException(cacheKey, "must not be negative (0 turns the cache off)");
            }, TimeSpan.FromMinutes(5))
            : inherited!.CalloutCache;

        var options = new RecipientValidationOptions { Addresses = addresses, File = file, Callout = callout, CalloutTimeout = timeout, CalloutCache = cache };
        // A listener block that inherits the validation but has no relay domains (a submission port) simply does not use it.
        var setHere = inherited is null || reader.At(listKey) is not null || reader.At(fileKey) is not null || reader.At(calloutKey) is not null;
        if (options.Enabled && domains.Count == 0 && setHere)
            errors.Add(Set(calloutKey) && callout is not null ? calloutKey : Set(listKey) ? listKey : fileKey,
                $"recipient validation applies to the relay domains, and {relayKey}.domains is empty");
        return options;
    }

    private static void Add(ref HashSet<string>? set, string text, string key, ConfigErrors errors)
    {
        set ??= new HashSet<string>(StringComparer.Ordinal);
        if (NormalizeRecipient(text) is { } normalized)
            set.Add(normalized);
        else
            errors.Add(key, $"\"{text}\" is not an address such as user@corp.example or @corp.example (every address at the domain)");
    }

    /// <summary><c>local@domain</c> lower-cased with the domain in A-labels, or <c>@domain</c>; null when not an address.</summary>
    public static string? NormalizeRecipient(string text)
    {
        var trimmed = text.Trim();
        var at = trimmed.LastIndexOf('@');
        if (at < 0 || trimmed.Any(char.IsWhiteSpace))
            return null;
        if (!DomainName.TryNormalize(trimmed[(at + 1)..], out var domain, out _) || DomainName.IsAddressLiteral(domain))
            return null;
        return $"{trimmed[..at].ToLowerInvariant()}@{domain}";
    }

    private static DnsEndPoint ParseHostPort(string text, string key)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : string.Empty;
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535 || !ConfigRules.IsHost(host))
            throw new RouterConfigException(key, $"\"{text}\" is not a host and port such as 10.0.0.5:25 or mail.corp.example:25");
        return new DnsEndPoint(host, port);
    }
}
