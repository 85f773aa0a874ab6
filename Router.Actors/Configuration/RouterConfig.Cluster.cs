using System.Net;
using Akka.Actor;

namespace Router.Actors.Configuration;

public static partial class RouterConfig
{
    private const string ClusterKey = Root + ".cluster";

    private static ClusterSettings ReadCluster(HoconReader reader)
    {
        var defaults = new ClusterSettings();
        var enabled = Bool(reader, $"{ClusterKey}.enabled", defaults.Enabled);

        var hostnameKey = $"{ClusterKey}.hostname";
        var hostname = HoconReader.String(reader.At(hostnameKey), hostnameKey)?.Trim() ?? defaults.Hostname;
        if (!IsHost(hostname))
        {
            throw new RouterConfigException(hostnameKey, $"\"{hostname}\" is not an IP address or host name");
        }

        var publicKey = $"{ClusterKey}.public-hostname";
        var publicHostname = HoconReader.String(reader.At(publicKey), publicKey)?.Trim();
        if (string.IsNullOrEmpty(publicHostname))
        {
            publicHostname = null;
        }
        else if (!IsHost(publicHostname))
        {
            throw new RouterConfigException(publicKey, $"\"{publicHostname}\" is not an IP address or host name");
        }

        var portKey = $"{ClusterKey}.port";
        var port = HoconReader.Int(reader.At(portKey), portKey, defaults.Port);
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw new RouterConfigException(portKey, $"{port} is out of range 0-{IPEndPoint.MaxPort} (0 takes any free port)");
        }

        var seeds = new List<string>();
        foreach (var (text, itemKey) in HoconReader.StringList(reader.At($"{ClusterKey}.seed-nodes"), $"{ClusterKey}.seed-nodes"))
        {
            seeds.Add(SeedNode(text.Trim(), itemKey));
        }

        var roles = new List<string>();
        foreach (var (text, itemKey) in HoconReader.StringList(reader.At($"{ClusterKey}.roles"), $"{ClusterKey}.roles"))
        {
            var role = text.Trim();
            if (!IdPattern().IsMatch(role))
            {
                throw new RouterConfigException(itemKey, $"\"{text}\" is not a valid role: use lower-case letters, digits, '.', '_' and '-'");
            }

            roles.Add(role);
        }

        // Cluster Bootstrap: RouterConfig.Bootstrap.cs
        var bootstrap = ReadBootstrap(reader, enabled, seeds.Count > 0, port);

        return new ClusterSettings
        {
            Enabled = enabled,
            Hostname = hostname,
            Port = port,
            PublicHostname = publicHostname,
            SeedNodes = seeds,
            Roles = roles,
            MinNrOfMembers = AtLeastOne(reader, $"{ClusterKey}.min-nr-of-members", defaults.MinNrOfMembers),
            SpillOver = ReadSpillOver(reader),
            DrainTimeout = Positive(reader, $"{ClusterKey}.drain-timeout", defaults.DrainTimeout),
            Bootstrap = bootstrap,
        };
    }

    private static SpillOverSettings ReadSpillOver(HoconReader reader)
    {
        const string key = ClusterKey + ".spill-over";
        var defaults = new SpillOverSettings();
        var threshold = HoconReader.Int(reader.At($"{key}.backlog-threshold"), $"{key}.backlog-threshold", defaults.BacklogThreshold);
        if (threshold < 0)
        {
            throw new RouterConfigException($"{key}.backlog-threshold", $"{threshold} must be 0 (off) or more");
        }

        var handovers = HoconReader.Int(reader.At($"{key}.max-handovers"), $"{key}.max-handovers", defaults.MaxHandovers);
        if (handovers < 1)
        {
            throw new RouterConfigException($"{key}.max-handovers", $"{handovers} must be at least 1");
        }

        return new SpillOverSettings
        {
            Enabled = Bool(reader, $"{key}.enabled", defaults.Enabled),
            BacklogThreshold = threshold,
            MaxHandovers = handovers,
            TransferTimeout = Positive(reader, $"{key}.transfer-timeout", defaults.TransferTimeout),
            MaxConcurrent = AtLeastOne(reader, $"{key}.max-concurrent", defaults.MaxConcurrent),
        };
    }

    private static string SeedNode(string text, string key)
    {
        Address address;
        try
        {
            address = Address.Parse(text);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new RouterConfigException(key, $"\"{text}\" is not a node address such as akka.tcp://{ClusterSettings.SystemName}@10.0.0.1:4053");
        }

        if (address.Protocol != "akka.tcp" || address.Host is null || address.Port is null or 0)
        {
            throw new RouterConfigException(key, $"\"{text}\" is not a node address such as akka.tcp://{ClusterSettings.SystemName}@10.0.0.1:4053");
        }

        if (address.System != ClusterSettings.SystemName)
        {
            throw new RouterConfigException(key, $"\"{text}\" names system \"{address.System}\"; every node's system is \"{ClusterSettings.SystemName}\"");
        }

        return address.ToString();
    }

    private static bool IsHost(string text) =>
        Uri.CheckHostName(text) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;

    private static bool Bool(HoconReader reader, string key, bool fallback) =>
        HoconReader.String(reader.At(key), key)?.Trim().ToLowerInvariant() switch
        {
            null => fallback,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new RouterConfigException(key, $"expected on or off, got \"{other}\""),
        };
}
