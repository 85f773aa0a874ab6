using Akka.Configuration.Hocon;
using Router.Actors.Routing;
using Router.Messages.Delivery;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads a connector's policy keys (<c>fallback</c>, <c>max-message-size</c>, <c>senders</c>, <c>reject-senders</c>, <c>tls</c>)
/// over <c>router.connector-defaults</c>, which is read the same way over the reference configuration's.
/// </summary>
internal static class ConnectorPolicyConfigReader
{
    public const string DefaultsKey = RouterConfig.Root + ".connector-defaults";

    /// <summary>The keys this reader owns; a connector block may hold them besides its address spaces and firewalls.</summary>
    public static readonly HashSet<string> Keys = ["fallback", "max-message-size", "senders", "reject-senders", "tls"];

    /// <summary><c>router.connector-defaults</c>: the file's keys over the reference configuration's.</summary>
    public static ConnectorPolicy ReadDefaults(HoconReader reader, ConfigErrors errors)
    {
        var block = errors.Read(
            () => reader.At(DefaultsKey) is { } value ? HoconReader.Object(value, DefaultsKey) : new HoconObject(),
            new HoconObject());
        ConfigRules.RejectUnknownKeys(block, DefaultsKey, Keys, errors);
        var reference = HoconReader.Object(HoconReader.Default(DefaultsKey)!, DefaultsKey);
        return Read(name => HoconReader.Child(block, name) ?? HoconReader.Child(reference, name), DefaultsKey, ConnectorPolicy.Default, errors);
    }

    /// <summary>A connector block's policy keys over <paramref name="inherited"/> (the defaults).</summary>
    public static ConnectorPolicy Read(Func<string, HoconValue?> get, string key, ConnectorPolicy inherited, ConfigErrors errors)
    {
        var sizeKey = $"{key}.max-message-size";
        var maxSize = errors.Read(
            () =>
            {
                if (HoconReader.String(get("max-message-size"), sizeKey) is not { } text)
                    return inherited.MaxMessageSize;
                if (text.Trim().Equals("unlimited", StringComparison.OrdinalIgnoreCase))
                    return null;
                return ConfigRules.PositiveSize(HoconReader.ByteSize(get("max-message-size"), sizeKey, 0), sizeKey);
            },
            inherited.MaxMessageSize);

        var tlsKey = $"{key}.tls";
        var tls = errors.Read(
            () => HoconReader.String(get("tls"), tlsKey)?.Trim().ToLowerInvariant() switch
            {
                null => inherited.Tls,
                "off" or "false" or "no" => RouteTls.None,
                "required" => RouteTls.Required,
                "verify" => RouteTls.Verify,
                var other => throw new RouterConfigException(tlsKey, $"expected off, required or verify, got \"{other}\""),
            },
            inherited.Tls);

        return inherited with
        {
            Tls = tls,
            Fallback = errors.Read(() => ConfigRules.Switch(get("fallback"), $"{key}.fallback", inherited.Fallback), inherited.Fallback),
            MaxMessageSize = maxSize,
            Senders = get("senders") is { } senders ? Patterns(senders, $"{key}.senders", errors) : inherited.Senders,
            RejectSenders = get("reject-senders") is { } rejected ? Patterns(rejected, $"{key}.reject-senders", errors) : inherited.RejectSenders,
        };
    }

    private static IReadOnlyList<SenderPattern> Patterns(HoconValue value, string key, ConfigErrors errors)
    {
        var patterns = new List<SenderPattern>();
        foreach (var (text, itemKey) in errors.Read(() => HoconReader.StringList(value, key), []))
        {
            if (SenderPattern.TryParse(text, out var pattern, out var error))
                patterns.Add(pattern);
            else
                errors.Add(itemKey, error);
        }
        return patterns;
    }
}
