using System.Net;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Router.Actors.Delivery;
using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// Loads a node's HOCON configuration over the embedded reference defaults and turns the
/// <c>router</c> section into validated <see cref="RouterOptions"/>. Every rejection is a
/// <see cref="RouterConfigException"/> whose one-line message names the full key.
/// </summary>
public static partial class RouterConfig
{
    public const string ReferenceResourceName = "Router.Actors.Configuration.reference.conf";

    private const string Root = "router";
    private const string FirewallsKey = Root + ".firewalls";
    private const string ConnectorsKey = Root + ".connectors";
    private const string FirewallDefaultsKey = Root + ".firewall-defaults";

    // Keys a firewall block may hold. A typo such as "conect-timeout" would otherwise be ignored
    // silently and the firewall run with the default; extend this list with each new option.
    private static readonly HashSet<string> FirewallKeys =
    [
        "host", "port", "max-connections", "connect-timeout", "greeting-timeout", "command-timeout",
        "tls-handshake-timeout", "data-timeout", "trip-after", "open-for", "max-open-for",
        "probe-interval", "healthy-probe-interval", "slow-start", "helo-name", "idle-timeout",
        // TLS and AUTH towards the firewall: RouterConfig.FirewallSecurity.cs
        "tls", "tls-ca-file", "tls-server-name", "auth", "auth-user", "auth-password-file", "auth-password-env",
        "auth-allow-insecure",
    ];

    private static readonly HashSet<string> ConnectorKeys = ["address-spaces", "firewalls"];

    private static readonly Lazy<Config> LazyReference = new(LoadReference);

    /// <summary>The embedded <c>reference.conf</c>: scalar defaults and <c>router.firewall-defaults</c>, no firewalls or connectors.</summary>
    public static Config Reference => LazyReference.Value;

    /// <summary>
    /// Reads a HOCON file over the reference defaults. A null path gives the defaults alone
    /// (which have no connectors, so <see cref="ToOptions"/> rejects them).
    /// </summary>
    public static Config Load(string? path)
    {
        if (path is null)
        {
            return Reference;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RouterConfigException(path, $"cannot read the configuration file: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses HOCON text over the reference defaults.</summary>
    public static Config Parse(string hoconText) => Parse(hoconText, "configuration");

    /// <summary>Validates the <c>router</c> section and applies the defaults.</summary>
    /// <exception cref="RouterConfigException">The first problem found, naming its key.</exception>
    public static RouterOptions ToOptions(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var reader = new HoconReader(config);

        var smtp = ReadSmtp(reader);
        var firewalls = ReadFirewalls(reader, smtp.Hostname);
        var connectors = ReadConnectors(reader, firewalls);
        return new RouterOptions
        {
            NodeName = HoconReader.String(reader.At($"{Root}.node-name"), $"{Root}.node-name") is { } name
                && !string.IsNullOrWhiteSpace(name)
                    ? name.Trim()
                    : Environment.MachineName.ToLowerInvariant(),
            Spool = ReadSpool(reader),
            Smtp = smtp,
            Delivery = new DeliveryOptions
            {
                Retry = ReadRetry(reader),
                PoisonAfter = AtLeastOne(reader, $"{Root}.delivery.poison-after", new DeliveryOptions().PoisonAfter),
            },
            Firewalls = firewalls,
            Connectors = connectors,
            Cluster = ReadCluster(reader),
            // Shadow redundancy: RouterConfig.Shadow.cs
            Shadow = ReadShadow(reader, ReadCluster(reader).Enabled),
            Hocon = config,
            Tracking = ReadTracking(reader, ReadSpool(reader).Path),
            Admin = ReadAdmin(reader),
        };
    }

    private static AdminOptions ReadAdmin(HoconReader reader)
    {
        const string admin = Root + ".admin";
        var enabledKey = $"{admin}.enabled";
        var enabled = HoconReader.String(reader.At(enabledKey), enabledKey) switch
        {
            null or "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new RouterConfigException(enabledKey, $"expected on or off, got \"{other}\""),
        };
        var listenKey = $"{admin}.listen";
        var listenText = HoconReader.String(reader.At(listenKey), listenKey);
        var listen = new AdminOptions().Listen;
        if (listenText is not null)
        {
            var trimmed = listenText.Trim();
            if (!IPEndPoint.TryParse(trimmed, out var parsed) || !HasExplicitPort(trimmed, parsed))
                throw new RouterConfigException(listenKey, $"\"{listenText}\" is not an address and port such as 127.0.0.1:9110 or [::1]:9110");
            listen = parsed;
        }
        var tokenKey = $"{admin}.token";
        var token = HoconReader.String(reader.At(tokenKey), tokenKey)?.Trim();
        if (token is { Length: > 0 } && (token.Length < 16 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw new RouterConfigException(tokenKey, "must be at least 16 characters, without spaces");
        var options = new AdminOptions { Enabled = enabled, Listen = listen, Token = string.IsNullOrEmpty(token) ? null : token };
        return options.TokenMissingForNonLoopback
            ? throw new RouterConfigException(tokenKey, $"is required when {listenKey} ({listen}) is not a loopback address")
            : options;
    }

    private static Config Parse(string hoconText, string source)
    {
        ArgumentNullException.ThrowIfNull(hoconText);
        if (string.IsNullOrWhiteSpace(hoconText))
        {
            return Reference;
        }

        Config parsed;
        try
        {
            parsed = ConfigurationFactory.ParseString(hoconText);
        }
        catch (Exception e)
        {
            var message = e.Message;
            var end = message.IndexOfAny(['\r', '\n']);
            throw new RouterConfigException(source, $"invalid HOCON: {(end < 0 ? message : message[..end]).Trim()}", e);
        }

        return parsed.WithFallback(Reference);
    }

    private static Config LoadReference()
    {
        using var stream = typeof(RouterConfig).Assembly.GetManifestResourceStream(ReferenceResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ReferenceResourceName} is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private static SpoolSettings ReadSpool(HoconReader reader)
    {
        var defaults = new SpoolSettings();
        var segmentKey = $"{Root}.spool.segment-size";
        var segmentSize = HoconReader.ByteSize(reader.At(segmentKey), segmentKey, defaults.SegmentSize);
        if (segmentSize <= 0)
        {
            throw new RouterConfigException(segmentKey, $"{segmentSize} must be greater than zero");
        }

        var pathKey = $"{Root}.spool.path";
        var path = HoconReader.String(reader.At(pathKey), pathKey) ?? defaults.Path;
        return new SpoolSettings
        {
            Path = string.IsNullOrWhiteSpace(path)
                ? throw new RouterConfigException(pathKey, "must name the spool folder")
                : path.Trim(),
            SegmentSize = segmentSize,
            MaxMessages = PositiveSize(HoconReader.Int(reader.At($"{Root}.spool.max-messages"), $"{Root}.spool.max-messages", (int)defaults.MaxMessages), $"{Root}.spool.max-messages"),
            MaxBytes = PositiveSize(HoconReader.ByteSize(reader.At($"{Root}.spool.max-bytes"), $"{Root}.spool.max-bytes", defaults.MaxBytes), $"{Root}.spool.max-bytes"),
            MinFreeDisk = HoconReader.ByteSize(reader.At($"{Root}.spool.min-free-disk"), $"{Root}.spool.min-free-disk", defaults.MinFreeDisk),
            ResumeAt = ReadFraction(reader, $"{Root}.spool.resume-at", defaults.ResumeAt),
        };
    }

    private static long PositiveSize(long value, string key) =>
        value > 0 ? value : throw new RouterConfigException(key, $"{value} must be greater than zero");

    private static double ReadFraction(HoconReader reader, string key, double fallback)
    {
        var text = HoconReader.String(reader.At(key), key);
        if (text is null)
            return fallback;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is > 0 and < 1
            ? value
            : throw new RouterConfigException(key, $"expected a fraction between 0 and 1 such as 0.9, got \"{text}\"");
    }

    private static SmtpOptions ReadSmtp(HoconReader reader)
    {
        const string smtp = Root + ".smtp";
        var defaults = new SmtpOptions();

        var hostnameKey = $"{smtp}.hostname";
        var hostname = HostName(HoconReader.String(reader.At(hostnameKey), hostnameKey) ?? defaults.Hostname, hostnameKey);

        var maxSizeKey = $"{smtp}.max-message-size";
        var maxSize = HoconReader.ByteSize(reader.At(maxSizeKey), maxSizeKey, defaults.MaxMessageSize);
        if (maxSize <= 0)
        {
            throw new RouterConfigException(maxSizeKey, $"{maxSize} must be greater than zero");
        }

        var maxRecipientsKey = $"{smtp}.max-recipients";
        var maxRecipients = HoconReader.Int(reader.At(maxRecipientsKey), maxRecipientsKey, defaults.MaxRecipients);
        if (maxRecipients < SmtpOptions.MinRecipientsLimit)
        {
            throw new RouterConfigException(
                maxRecipientsKey,
                $"{maxRecipients} is below {SmtpOptions.MinRecipientsLimit}, the minimum RFC 5321 section 4.5.3.1.8 requires");
        }

        var bannerKey = $"{smtp}.banner";
        var banner = HoconReader.String(reader.At(bannerKey), bannerKey) ?? "{hostname} ESMTP Router";
        if (banner.Contains('\r') || banner.Contains('\n'))
        {
            throw new RouterConfigException(bannerKey, "must be one line");
        }

        return new SmtpOptions
        {
            Listen = ReadListen(reader, $"{smtp}.listen"),
            Hostname = hostname,
            MaxMessageSize = maxSize,
            MaxRecipients = maxRecipients,
            MaxConnections = AtLeastOne(reader, $"{smtp}.max-connections", defaults.MaxConnections),
            SessionTimeout = Positive(reader, $"{smtp}.session-timeout", defaults.SessionTimeout),
            CommandTimeout = Positive(reader, $"{smtp}.command-timeout", defaults.CommandTimeout),
            ShutdownGrace = Positive(reader, $"{smtp}.shutdown-grace", defaults.ShutdownGrace),
            MaxHops = AtLeastOne(reader, $"{smtp}.max-hops", defaults.MaxHops),
            NormalizeBareLineEndings = HoconReader.String(reader.At($"{smtp}.bare-line-endings"), $"{smtp}.bare-line-endings") switch
            {
                null or "reject" => false,
                "normalize" => true,
                var other => throw new RouterConfigException($"{smtp}.bare-line-endings", $"expected reject or normalize, got \"{other}\""),
            },
            Banner = banner.Replace("{hostname}", hostname, StringComparison.Ordinal).Trim(),
            RelayAllowedNetworks = ReadNetworks(reader, $"{smtp}.relay.allowed-networks"),
            Tls = ReadSmtpTls(reader),
            Auth = ReadSmtpAuth(reader),
            Limits = ReadSmtpLimits(reader, smtp, hostname, maxSize),
        };
    }

    private static IReadOnlyList<IPEndPoint> ReadListen(HoconReader reader, string key)
    {
        var entries = HoconReader.StringList(reader.At(key), key);
        if (entries.Count == 0)
        {
            throw new RouterConfigException(key, "at least one endpoint such as \"127.0.0.1:2525\" is needed");
        }

        var endpoints = new List<IPEndPoint>();
        foreach (var (text, itemKey) in entries)
        {
            var trimmed = text.Trim();
            // IPEndPoint.TryParse takes "127.0.0.1" as port 0; demand the port so that a forgotten
            // one is an error rather than a random port. Port 0 itself is allowed (tests bind it).
            if (!IPEndPoint.TryParse(trimmed, out var endpoint) || !HasExplicitPort(trimmed, endpoint))
            {
                throw new RouterConfigException(itemKey, $"\"{text}\" is not an address and port such as 127.0.0.1:2525 or [::1]:2525");
            }

            // Two ephemeral (port 0) listeners on one address are distinct sockets, so only fixed ports clash.
            if (endpoint.Port != 0 && endpoints.Contains(endpoint))
            {
                throw new RouterConfigException(itemKey, $"duplicate listen endpoint {endpoint}");
            }

            endpoints.Add(endpoint);
        }

        return endpoints;
    }

    private static bool HasExplicitPort(string text, IPEndPoint endpoint) =>
        endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal);

    private static IReadOnlyList<IPNetwork> ReadNetworks(HoconReader reader, string key)
    {
        var networks = new List<IPNetwork>();
        foreach (var (text, itemKey) in HoconReader.StringList(reader.At(key), key))
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
                throw new RouterConfigException(itemKey, $"\"{text}\" is not a CIDR network such as 10.0.0.0/8 or fd00::/8");
            }
        }

        return networks;
    }

    private static IReadOnlyList<FirewallOptions> ReadFirewalls(HoconReader reader, string smtpHostname)
    {
        var defaults = ReadFirewallDefaults(reader, smtpHostname);
        var firewalls = new List<FirewallOptions>();
        foreach (var (id, value) in HoconReader.Entries(reader.At(FirewallsKey), FirewallsKey))
        {
            var key = HoconReader.Key(FirewallsKey, id);
            RequireId(id, key, "firewall");
            var block = HoconReader.Object(value, key);
            RejectUnknownKeys(block, key, FirewallKeys);
            firewalls.Add(ReadFirewall(block, key, defaults with { Id = id, Host = string.Empty }));
        }

        return firewalls;
    }

    /// <summary>
    /// <c>router.firewall-defaults</c> read as a firewall of its own; each firewall starts from it.
    /// Its host is a placeholder: a firewall must name its own.
    /// </summary>
    private static FirewallOptions ReadFirewallDefaults(HoconReader reader, string smtpHostname)
    {
        var block = reader.At(FirewallDefaultsKey) is { } value
            ? HoconReader.Object(value, FirewallDefaultsKey)
            : new HoconObject();
        RejectUnknownKeys(block, FirewallDefaultsKey, FirewallKeys);
        var builtIn = new FirewallOptions { Id = "firewall-defaults", Host = "firewall-defaults", HeloName = smtpHostname };
        return ReadFirewall(block, FirewallDefaultsKey, builtIn, hostRequired: false);
    }

    private static FirewallOptions ReadFirewall(HoconObject block, string key, FirewallOptions inherited, bool hostRequired = true)
    {
        HoconValue? Get(string name) => HoconReader.Child(block, name);
        TimeSpan Timeout(string name, TimeSpan fallback) => PositiveDuration(Get(name), $"{key}.{name}", fallback);

        var host = inherited.Host;
        if (hostRequired)
        {
            var hostKey = $"{key}.host";
            var hostValue = Get("host") ?? throw new RouterConfigException(hostKey, "is required: the firewall's IP address or DNS name");
            host = HoconReader.RequiredString(hostValue, hostKey);
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
            {
                throw new RouterConfigException(hostKey, $"\"{host}\" is not an IP address or host name");
            }
        }

        var portKey = $"{key}.port";
        var port = HoconReader.Int(Get("port"), portKey, inherited.Port);
        if (port is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort)
        {
            throw new RouterConfigException(portKey, $"{port} is out of range 1-{IPEndPoint.MaxPort}");
        }

        var openFor = Timeout("open-for", inherited.OpenFor);
        var maxOpenFor = Timeout("max-open-for", inherited.MaxOpenFor);
        if (maxOpenFor < openFor)
        {
            throw new RouterConfigException($"{key}.max-open-for", $"{maxOpenFor} is shorter than open-for {openFor}");
        }

        var slowStartKey = $"{key}.slow-start";
        var slowStart = HoconReader.Duration(Get("slow-start"), slowStartKey, inherited.SlowStart);
        if (slowStart < TimeSpan.Zero)
        {
            throw new RouterConfigException(slowStartKey, $"{slowStart} must not be negative (0 disables slow start)");
        }

        var heloKey = $"{key}.helo-name";
        var helo = HoconReader.String(Get("helo-name"), heloKey) is { } heloText ? HostName(heloText, heloKey) : inherited.HeloName;

        var firewall = inherited with
        {
            Host = host,
            Port = port,
            MaxConnections = AtLeastOne(Get("max-connections"), $"{key}.max-connections", inherited.MaxConnections),
            ConnectTimeout = Timeout("connect-timeout", inherited.ConnectTimeout),
            GreetingTimeout = Timeout("greeting-timeout", inherited.GreetingTimeout),
            CommandTimeout = Timeout("command-timeout", inherited.CommandTimeout),
            TlsHandshakeTimeout = Timeout("tls-handshake-timeout", inherited.TlsHandshakeTimeout),
            DataTimeout = Timeout("data-timeout", inherited.DataTimeout),
            TripAfter = AtLeastOne(Get("trip-after"), $"{key}.trip-after", inherited.TripAfter),
            OpenFor = openFor,
            MaxOpenFor = maxOpenFor,
            ProbeInterval = Timeout("probe-interval", inherited.ProbeInterval),
            HealthyProbeInterval = Timeout("healthy-probe-interval", inherited.HealthyProbeInterval),
            SlowStart = slowStart,
            HeloName = helo,
            IdleTimeout = Timeout("idle-timeout", inherited.IdleTimeout),
        };
        return ReadFirewallSecurity(block, key, firewall, isDefaults: !hostRequired);
    }

    private static IReadOnlyList<ConnectorOptions> ReadConnectors(HoconReader reader, IReadOnlyList<FirewallOptions> firewalls)
    {
        var entries = HoconReader.Entries(reader.At(ConnectorsKey), ConnectorsKey);
        if (entries.Count == 0)
        {
            throw new RouterConfigException(ConnectorsKey, "no connectors are configured; at least one is needed to route mail");
        }

        var firewallIds = firewalls.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var connectors = new List<ConnectorOptions>();
        foreach (var (id, value) in entries)
        {
            var key = HoconReader.Key(ConnectorsKey, id);
            RequireId(id, key, "connector");
            // HOCON merges two blocks with the same key into one, so a repeated id cannot be seen.
            // What can be ambiguous is a firewall and a connector sharing an id: logs and operator
            // commands ("firewall trip <id>", "route test") name both kinds by bare id.
            if (firewallIds.Contains(id))
            {
                throw new RouterConfigException(key, $"duplicate id: \"{id}\" is also a firewall; give connectors and firewalls distinct ids");
            }

            var block = HoconReader.Object(value, key);
            RejectUnknownKeys(block, key, ConnectorKeys);
            connectors.Add(new ConnectorOptions
            {
                Id = id,
                AddressSpaces = ReadAddressSpaces(block, key),
                FirewallIds = ReadConnectorFirewalls(block, key, firewallIds),
            });
        }

        return connectors;
    }

    private static IReadOnlyList<AddressSpace> ReadAddressSpaces(HoconObject block, string connectorKey)
    {
        var key = $"{connectorKey}.address-spaces";
        var entries = HoconReader.StringList(HoconReader.Child(block, "address-spaces"), key);
        if (entries.Count == 0)
        {
            throw new RouterConfigException(key, "at least one address space such as \"*;1\" is needed");
        }

        var spaces = new List<AddressSpace>();
        foreach (var (text, itemKey) in entries)
        {
            if (!AddressSpace.TryParse(text, out var space, out var error))
            {
                throw new RouterConfigException(itemKey, error);
            }

            // Same pattern twice in one connector: at best redundant, at worst two costs for one route.
            if (spaces.Find(s => s.Pattern == space.Pattern) is { } earlier)
            {
                throw new RouterConfigException(itemKey, $"duplicate pattern \"{space.Pattern}\" (already listed as \"{earlier}\")");
            }

            spaces.Add(space);
        }

        return spaces;
    }

    private static IReadOnlyList<string> ReadConnectorFirewalls(HoconObject block, string connectorKey, HashSet<string> known)
    {
        var key = $"{connectorKey}.firewalls";
        var entries = HoconReader.StringList(HoconReader.Child(block, "firewalls"), key);
        if (entries.Count == 0)
        {
            throw new RouterConfigException(key, "at least one firewall is needed");
        }

        var ids = new List<string>();
        foreach (var (text, itemKey) in entries)
        {
            var id = text.Trim();
            if (!known.Contains(id))
            {
                throw new RouterConfigException(itemKey, $"unknown firewall \"{id}\"; define it under {FirewallsKey}");
            }

            if (ids.Contains(id))
            {
                throw new RouterConfigException(itemKey, $"duplicate firewall \"{id}\" in this connector");
            }

            ids.Add(id);
        }

        return ids;
    }

    private static void RequireId(string id, string key, string kind)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw new RouterConfigException(key, $"\"{id}\" is not a valid {kind} id: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
    }

    private static void RejectUnknownKeys(HoconObject block, string key, HashSet<string> known)
    {
        foreach (var name in block.Items.Keys)
        {
            if (!known.Contains(name))
            {
                throw new RouterConfigException(HoconReader.Key(key, name), $"unknown key; expected one of {string.Join(", ", known)}");
            }
        }
    }

    private static string HostName(string text, string key) =>
        DomainName.TryNormalize(text, out var normalized, out var error) && !DomainName.IsAddressLiteral(normalized)
            ? normalized
            : throw new RouterConfigException(key, $"\"{text}\" is not a valid host name: {error ?? "an address literal is not a host name"}");

    private static RetryPolicy ReadRetry(HoconReader reader)
    {
        var key = $"{Root}.retry";
        var defaults = RetryPolicy.Default;
        var scheduleKey = $"{key}.schedule";
        var entries = HoconReader.StringList(reader.At(scheduleKey), scheduleKey);
        var schedule = entries.Count == 0
            ? defaults.Schedule
            : entries.Select(e => HoconReader.TryParseDuration(e.Text, out var delay) && delay > TimeSpan.Zero
                ? delay
                : throw new RouterConfigException(e.Key, $"expected a positive duration such as 1m, got \"{e.Text}\"")).ToArray();
        var expireAfter = Positive(reader, $"{key}.expire-after", defaults.ExpireAfter);
        var noticeKey = $"{key}.delay-notice-after";
        var noticeText = HoconReader.String(reader.At(noticeKey), noticeKey);
        TimeSpan? notice = noticeText is null or "off" or "0" ? null : Positive(reader, noticeKey, TimeSpan.Zero);
        return new RetryPolicy(schedule, expireAfter, notice);
    }

    private static TimeSpan Positive(HoconReader reader, string key, TimeSpan fallback) =>
        PositiveDuration(reader.At(key), key, fallback);

    private static TimeSpan PositiveDuration(HoconValue? value, string key, TimeSpan fallback)
    {
        var duration = HoconReader.Duration(value, key, fallback);
        return duration > TimeSpan.Zero
            ? duration
            : throw new RouterConfigException(key, $"{duration} must be greater than zero");
    }

    private static int AtLeastOne(HoconReader reader, string key, int fallback) =>
        AtLeastOne(reader.At(key), key, fallback);

    private static int AtLeastOne(HoconValue? value, string key, int fallback)
    {
        var number = HoconReader.Int(value, key, fallback);
        return number >= 1 ? number : throw new RouterConfigException(key, $"{number} must be at least 1");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
