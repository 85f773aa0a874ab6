using Akka.Configuration;

namespace Router.Actors.Configuration;

/// <summary>
/// Loads a node's HOCON configuration over the embedded reference defaults (<c>reference.conf</c>, the one place
/// that holds them) and turns the <c>router</c> section into validated <see cref="RouterOptions"/>, one reader per
/// section (<see cref="SmtpConfigReader"/>, <see cref="FirewallsConfigReader"/>, ...). Every problem in the file is
/// collected before the node refuses to start: a <see cref="RouterConfigException"/> with one line per problem,
/// each naming the full key.
/// </summary>
public static partial class RouterConfig
{
    public const string ReferenceResourceName = "Router.Actors.Configuration.reference.conf";

    internal const string Root = "router";

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
    /// <exception cref="RouterConfigException">Every problem found, each naming its key; the first is <see cref="RouterConfigException.Key"/>.</exception>
    public static RouterOptions ToOptions(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var reader = new HoconReader(config);
        var errors = new ConfigErrors();

        // In the order the sections were validated before errors were collected, so that the first line is the
        // error a single-problem file always gave.
        var smtp = SmtpConfigReader.Read(reader, errors);
        var firewalls = FirewallsConfigReader.Read(reader, smtp.Hostname, errors, out var firewallIds, out var firewallDefaults);
        var connectors = ConnectorsConfigReader.Read(reader, firewallIds, errors);
        var nodeName = errors.Read(() => ReadNodeName(reader), string.Empty);
        var spool = SpoolConfigReader.Read(reader, errors);
        var delivery = DeliveryConfigReader.Read(reader, errors);
        var cluster = ClusterConfigReader.Read(reader, errors);
        var shadow = ShadowConfigReader.Read(reader, cluster.Enabled, errors);
        var tracking = TrackingConfigReader.Read(reader, spool.Path, errors);
        var admin = AdminConfigReader.Read(reader, errors);
        var telemetry = TelemetryConfigReader.Read(reader, errors);
        var warmUp = WarmUpConfigReader.Read(reader, errors);
        var dns = DnsConfigReader.Read(reader, errors);
        errors.ThrowIfAny();

        return new RouterOptions
        {
            NodeName = nodeName,
            Spool = spool,
            Smtp = smtp,
            Delivery = delivery,
            Firewalls = firewalls,
            Connectors = connectors,
            Cluster = cluster,
            Shadow = shadow,
            Hocon = config,
            Tracking = tracking,
            Admin = admin,
            Telemetry = telemetry,
            WarmUp = warmUp,
            Dns = dns,
            FirewallDefaults = firewallDefaults,
        };
    }

    /// <summary><c>router.node-name</c>; the machine name when unset.</summary>
    private static string ReadNodeName(HoconReader reader) =>
        HoconReader.String(reader.At($"{Root}.node-name"), $"{Root}.node-name") is { } name && !string.IsNullOrWhiteSpace(name)
            ? name.Trim()
            : Environment.MachineName.ToLowerInvariant();

    /// <summary>Parses HOCON text read from <paramref name="source"/> (named in errors) over the reference defaults.</summary>
    public static Config Parse(string hoconText, string source)
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
}
