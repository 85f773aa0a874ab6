using System.Net;
using Akka.Configuration.Hocon;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads <c>router.firewalls</c>: each block over <c>router.firewall-defaults</c>, which is read as a firewall of
/// its own over the reference configuration's. TLS and AUTH keys: <see cref="FirewallSecurityConfigReader"/>.
/// </summary>
internal static class FirewallsConfigReader
{
    public const string FirewallsKey = RouterConfig.Root + ".firewalls";
    private const string FirewallDefaultsKey = RouterConfig.Root + ".firewall-defaults";

    // Keys a firewall block may hold; extend this list with each new option.
    private static readonly HashSet<string> FirewallKeys =
    [
        "host", "port", "max-connections", "connect-timeout", "greeting-timeout", "command-timeout",
        "tls-handshake-timeout", "data-timeout", "trip-after", "open-for", "max-open-for",
        "probe-interval", "healthy-probe-interval", "slow-start", "helo-name", "idle-timeout",
        // TLS and AUTH towards the firewall: FirewallSecurityConfigReader
        "tls", "tls-ca-file", "tls-server-name", "auth", "auth-user", "auth-password-file", "auth-password-env",
        "auth-allow-insecure",
        // the latency detector: FirewallDetectorConfigReader
        "detector-phi-threshold", "detector-min-samples", "detector-window", "detector-min-deviation", "detector-acceptable-pause",
        // Share and sending limits: FirewallLimitsConfigReader
        .. FirewallLimitsConfigReader.Keys,
    ];

    /// <summary>The firewalls, in file order.</summary>
    /// <param name="ids">Every firewall id the file names, also of blocks with errors, so that connectors naming them are not reported as well.</param>
    public static IReadOnlyList<FirewallOptions> Read(HoconReader reader, string smtpHostname, ConfigErrors errors, out HashSet<string> ids,
        out FirewallOptions defaults)
    {
        defaults = ReadDefaults(reader, smtpHostname, errors);
        var firewalls = new List<FirewallOptions>();
        ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, value) in errors.Read(() => HoconReader.Entries(reader.At(FirewallsKey), FirewallsKey), []))
        {
            ids.Add(id);
            var key = HoconReader.Key(FirewallsKey, id);
            errors.Check(() => ConfigRules.RequireId(id, key, "firewall"));
            if (!errors.TryRead(() => HoconReader.Object(value, key), null, out var block) || block is null)
            {
                continue;
            }

            var allKnown = ConfigRules.RejectUnknownKeys(block, key, FirewallKeys, errors);
            firewalls.Add(ReadFirewall(
                name => HoconReader.Child(block, name), block, key, defaults with { Id = id, Host = string.Empty }, hostRequired: true, reportMissingHost: allKnown, errors));
        }

        return firewalls;
    }

    /// <summary>
    /// <c>router.firewall-defaults</c> read as a firewall of its own; each firewall starts from it. A key the file
    /// sets to null takes the reference configuration's value. Its host is a placeholder: a firewall must name its own.
    /// </summary>
    private static FirewallOptions ReadDefaults(HoconReader reader, string smtpHostname, ConfigErrors errors)
    {
        var block = errors.Read(
            () => reader.At(FirewallDefaultsKey) is { } value ? HoconReader.Object(value, FirewallDefaultsKey) : new HoconObject(),
            new HoconObject());
        ConfigRules.RejectUnknownKeys(block, FirewallDefaultsKey, FirewallKeys, errors);
        var reference = HoconReader.Object(HoconReader.Default(FirewallDefaultsKey)!, FirewallDefaultsKey);
        var builtIn = new FirewallOptions { Id = "firewall-defaults", Host = "firewall-defaults", HeloName = smtpHostname };
        return ReadFirewall(
            name => HoconReader.Child(block, name) ?? HoconReader.Child(reference, name),
            block,
            FirewallDefaultsKey,
            builtIn,
            hostRequired: false,
            reportMissingHost: false,
            errors);
    }

    private static FirewallOptions ReadFirewall(
        Func<string, HoconValue?> get, HoconObject block, string key, FirewallOptions inherited, bool hostRequired, bool reportMissingHost, ConfigErrors errors)
    {
        TimeSpan Timeout(string name, TimeSpan fallback) =>
            errors.Read(() => ConfigRules.PositiveDuration(get(name), $"{key}.{name}", fallback), fallback);

        var host = inherited.Host;
        if (hostRequired && (reportMissingHost || get("host") is not null))
        {
            var hostKey = $"{key}.host";
            host = errors.Read(
                () =>
                {
                    var hostValue = get("host") ?? throw new RouterConfigException(hostKey, "is required: the firewall's IP address or DNS name");
                    var name = HoconReader.RequiredString(hostValue, hostKey);
                    return ConfigRules.IsHost(name) ? name : throw new RouterConfigException(hostKey, $"\"{name}\" is not an IP address or host name");
                },
                inherited.Host);
        }

        var portKey = $"{key}.port";
        var port = errors.Read(
            () =>
            {
                var number = HoconReader.Int(get("port"), portKey, inherited.Port);
                return number is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort
                    ? throw new RouterConfigException(portKey, $"{number} is out of range 1-{IPEndPoint.MaxPort}")
                    : number;
            },
            inherited.Port);

        var openForKey = $"{key}.open-for";
        var maxOpenForKey = $"{key}.max-open-for";
        var openForRead = errors.TryRead(() => ConfigRules.PositiveDuration(get("open-for"), openForKey, inherited.OpenFor), inherited.OpenFor, out var openFor);
        var maxOpenForRead = errors.TryRead(() => ConfigRules.PositiveDuration(get("max-open-for"), maxOpenForKey, inherited.MaxOpenFor), inherited.MaxOpenFor, out var maxOpenFor);
        if (openForRead && maxOpenForRead && maxOpenFor < openFor)
        {
            errors.Add(maxOpenForKey, $"{maxOpenFor} is shorter than open-for {openFor}");
        }

        var slowStartKey = $"{key}.slow-start";
        var slowStart = errors.Read(
            () =>
            {
                var duration = HoconReader.Duration(get("slow-start"), slowStartKey, inherited.SlowStart);
                return duration < TimeSpan.Zero
                    ? throw new RouterConfigException(slowStartKey, $"{duration} must not be negative (0 disables slow start)")
                    : duration;
            },
            inherited.SlowStart);

        var heloKey = $"{key}.helo-name";
        var helo = errors.Read(
            () => HoconReader.String(get("helo-name"), heloKey) is { } heloText ? ConfigRules.HostName(heloText, heloKey) : inherited.HeloName,
            inherited.HeloName);

        var firewall = inherited with
        {
            Host = host,
            Port = port,
            MaxConnections = errors.Read(() => ConfigRules.AtLeastOne(get("max-connections"), $"{key}.max-connections", inherited.MaxConnections), inherited.MaxConnections),
            ConnectTimeout = Timeout("connect-timeout", inherited.ConnectTimeout),
            GreetingTimeout = Timeout("greeting-timeout", inherited.GreetingTimeout),
            CommandTimeout = Timeout("command-timeout", inherited.CommandTimeout),
            TlsHandshakeTimeout = Timeout("tls-handshake-timeout", inherited.TlsHandshakeTimeout),
            DataTimeout = Timeout("data-timeout", inherited.DataTimeout),
            TripAfter = errors.Read(() => ConfigRules.AtLeastOne(get("trip-after"), $"{key}.trip-after", inherited.TripAfter), inherited.TripAfter),
            OpenFor = openFor,
            MaxOpenFor = maxOpenFor,
            ProbeInterval = Timeout("probe-interval", inherited.ProbeInterval),
            HealthyProbeInterval = Timeout("healthy-probe-interval", inherited.HealthyProbeInterval),
            SlowStart = slowStart,
            HeloName = helo,
            IdleTimeout = Timeout("idle-timeout", inherited.IdleTimeout),
            Latency = FirewallDetectorConfigReader.Read(get, key, inherited.Latency, errors),
        };
        firewall = FirewallLimitsConfigReader.Read(get, key, firewall, errors);
        return FirewallSecurityConfigReader.Read(get, block, key, firewall, isDefaults: !hostRequired, errors);
    }
}
