using System.Net;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads <c>router.smtp</c>: the listener, its host name and banner, message and session limits, relay networks;
/// STARTTLS and AUTH (<see cref="SmtpSecurityConfigReader"/>) and the edge limits (<see cref="SmtpLimitsConfigReader"/>).
/// </summary>
internal static class SmtpConfigReader
{
    public const string Key = RouterConfig.Root + ".smtp";

    public static SmtpOptions Read(HoconReader reader, ConfigErrors errors)
    {
        var hostnameKey = $"{Key}.hostname";
        var hostname = errors.Read(
            () => ConfigRules.HostName(HoconReader.String(reader.Required(hostnameKey), hostnameKey)!, hostnameKey),
            fallback: HoconReader.String(HoconReader.Default(hostnameKey), hostnameKey)!);

        var maxSizeKey = $"{Key}.max-message-size";
        var maxSizeRead = errors.TryRead(
            () =>
            {
                var maxSize = HoconReader.ByteSize(reader.Required(maxSizeKey), maxSizeKey, 0);
                return maxSize > 0 ? maxSize : throw new RouterConfigException(maxSizeKey, $"{maxSize} must be greater than zero");
            },
            fallback: HoconReader.ByteSize(HoconReader.Default(maxSizeKey), maxSizeKey, 0),
            out var maxSize);

        var maxRecipientsKey = $"{Key}.max-recipients";
        var maxRecipients = errors.Read(
            () =>
            {
                var count = HoconReader.Int(reader.Required(maxRecipientsKey), maxRecipientsKey, 0);
                return count >= SmtpOptions.MinRecipientsLimit
                    ? count
                    : throw new RouterConfigException(
                        maxRecipientsKey,
                        $"{count} is below {SmtpOptions.MinRecipientsLimit}, the minimum RFC 5321 section 4.5.3.1.8 requires");
            },
            fallback: SmtpOptions.MinRecipientsLimit);

        var bannerKey = $"{Key}.banner";
        var banner = errors.Read(
            () =>
            {
                var text = HoconReader.String(reader.Required(bannerKey), bannerKey)!;
                return text.Contains('\r') || text.Contains('\n') ? throw new RouterConfigException(bannerKey, "must be one line") : text;
            },
            fallback: string.Empty);

        var bareKey = $"{Key}.bare-line-endings";
        var auth = SmtpSecurityConfigReader.ReadAuth(reader, errors);
        var relay = SmtpRelayConfigReader.Read(reader, auth, errors);
        var tls = SmtpSecurityConfigReader.ReadTls(reader, errors);
        return new SmtpOptions
        {
            Listen = ReadListen(reader, $"{Key}.listen", errors),
            Hostname = hostname,
            MaxMessageSize = maxSize,
            MaxRecipients = maxRecipients,
            MaxConnections = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{Key}.max-connections"), 1),
            SessionTimeout = errors.Read(() => ConfigRules.Positive(reader, $"{Key}.session-timeout"), TimeSpan.MaxValue),
            CommandTimeout = errors.Read(() => ConfigRules.Positive(reader, $"{Key}.command-timeout"), TimeSpan.MaxValue),
            ShutdownGrace = errors.Read(() => ConfigRules.Positive(reader, $"{Key}.shutdown-grace"), TimeSpan.MaxValue),
            MaxHops = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{Key}.max-hops"), 1),
            NormalizeBareLineEndings = errors.Read(
                () => HoconReader.String(reader.At(bareKey), bareKey) switch
                {
                    null or "reject" => false,
                    "normalize" => true,
                    var other => throw new RouterConfigException(bareKey, $"expected reject or normalize, got \"{other}\""),
                },
                fallback: false),
            Banner = banner.Replace("{hostname}", hostname, StringComparison.Ordinal).Trim(),
            Relay = relay,
            Listeners = SmtpRelayConfigReader.ReadListeners(reader, relay, auth, tls.Certificate is not null, maxSize, errors),
            Tls = tls,
            Auth = auth,
            Limits = SmtpLimitsConfigReader.Read(reader, hostname, maxSize, maxSizeRead, errors),
        };
    }

    internal static IReadOnlyList<IPEndPoint> ReadListen(HoconReader reader, string key, ConfigErrors errors)
    {
        var entries = errors.Read(() => HoconReader.StringList(reader.At(key), key), fallback: null);
        if (entries is null)
        {
            return [];
        }

        if (entries.Count == 0)
        {
            errors.Add(key, "at least one endpoint such as \"127.0.0.1:2525\" is needed");
            return [];
        }

        var endpoints = new List<IPEndPoint>();
        foreach (var (text, itemKey) in entries)
        {
            var trimmed = text.Trim();
            if (!IPEndPoint.TryParse(trimmed, out var endpoint) || !ConfigRules.HasExplicitPort(trimmed, endpoint))
            {
                errors.Add(itemKey, $"\"{text}\" is not an address and port such as 127.0.0.1:2525 or [::1]:2525");
                continue;
            }

            // Two ephemeral (port 0) listeners on one address are distinct sockets, so only fixed ports clash.
            if (endpoint.Port != 0 && endpoints.Contains(endpoint))
            {
                errors.Add(itemKey, $"duplicate listen endpoint {endpoint}");
                continue;
            }

            endpoints.Add(endpoint);
        }

        return endpoints;
    }

    internal static IReadOnlyList<IPNetwork> ReadNetworks(HoconReader reader, string key, ConfigErrors errors)
    {
        var networks = new List<IPNetwork>();
        foreach (var (text, itemKey) in errors.Read(() => HoconReader.StringList(reader.At(key), key), fallback: []))
        {
            var trimmed = text.Trim();
            if (IPNetwork.TryParse(trimmed, out var network))
            {
                networks.Add(network);
            }
            else if (!trimmed.Contains('/') && IPAddress.TryParse(trimmed, out var address))
            {
                // A bare address is a network of that one host.
                networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                errors.Add(itemKey, $"\"{text}\" is not a CIDR network such as 10.0.0.0/8 or fd00::/8");
            }
        }

        return networks;
    }
}
