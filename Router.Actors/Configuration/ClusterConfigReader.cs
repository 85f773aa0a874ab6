using System.Net;
using Akka.Actor;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.cluster</c>: whether and how the node joins a cluster, and spill-over between nodes.</summary>
internal static class ClusterConfigReader
{
    private const string ClusterKey = RouterConfig.Root + ".cluster";

    public static ClusterSettings Read(HoconReader reader, ConfigErrors errors)
    {
        var enabled = errors.Read(() => ConfigRules.Switch(reader, $"{ClusterKey}.enabled"), false);

        var hostnameKey = $"{ClusterKey}.hostname";
        var hostname = errors.Read(
            () =>
            {
                var name = HoconReader.String(reader.Required(hostnameKey), hostnameKey)!.Trim();
                return ConfigRules.IsHost(name) ? name : throw new RouterConfigException(hostnameKey, $"\"{name}\" is not an IP address or host name");
            },
            string.Empty);

        var publicKey = $"{ClusterKey}.public-hostname";
        var publicHostname = errors.Read(
            () =>
            {
                var name = HoconReader.String(reader.At(publicKey), publicKey)?.Trim();
                if (string.IsNullOrEmpty(name))
                {
                    return null;
                }

                return ConfigRules.IsHost(name) ? name : throw new RouterConfigException(publicKey, $"\"{name}\" is not an IP address or host name");
            },
            null);

        var portKey = $"{ClusterKey}.port";
        var port = errors.Read(
            () =>
            {
                var number = HoconReader.Int(reader.Required(portKey), portKey, 0);
                return number is < IPEndPoint.MinPort or > IPEndPoint.MaxPort
                    ? throw new RouterConfigException(portKey, $"{number} is out of range 0-{IPEndPoint.MaxPort} (0 takes any free port)")
                    : number;
            },
            0);

        var seeds = new List<string>();
        var seedsKey = $"{ClusterKey}.seed-nodes";
        foreach (var (text, itemKey) in errors.Read(() => HoconReader.StringList(reader.At(seedsKey), seedsKey), []))
        {
            errors.Check(() => seeds.Add(SeedNode(text.Trim(), itemKey)));
        }

        var roles = new List<string>();
        var rolesKey = $"{ClusterKey}.roles";
        foreach (var (text, itemKey) in errors.Read(() => HoconReader.StringList(reader.At(rolesKey), rolesKey), []))
        {
            var role = text.Trim();
            if (!ConfigRules.IdPattern().IsMatch(role))
            {
                errors.Add(itemKey, $"\"{text}\" is not a valid role: use lower-case letters, digits, '.', '_' and '-'");
                continue;
            }

            roles.Add(role);
        }

        return new ClusterSettings
        {
            Enabled = enabled,
            Hostname = hostname,
            Port = port,
            PublicHostname = publicHostname,
            SeedNodes = seeds,
            Roles = roles,
            MinNrOfMembers = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{ClusterKey}.min-nr-of-members"), 1),
            SpillOver = ReadSpillOver(reader, errors),
            DrainTimeout = errors.Read(() => ConfigRules.Positive(reader, $"{ClusterKey}.drain-timeout"), TimeSpan.MaxValue),
            Bootstrap = errors.Read(() => BootstrapConfigReader.Read(reader, enabled, seeds.Count > 0, port), new BootstrapSettings()),
        };
    }

    private static SpillOverSettings ReadSpillOver(HoconReader reader, ConfigErrors errors)
    {
        const string key = ClusterKey + ".spill-over";
        var thresholdKey = $"{key}.backlog-threshold";
        var threshold = errors.Read(
            () =>
            {
                var number = HoconReader.Int(reader.Required(thresholdKey), thresholdKey, 0);
                return number < 0 ? throw new RouterConfigException(thresholdKey, $"{number} must be 0 (off) or more") : number;
            },
            0);

        var handoversKey = $"{key}.max-handovers";
        var handovers = errors.Read(
            () =>
            {
                var number = HoconReader.Int(reader.Required(handoversKey), handoversKey, 0);
                return number < 1 ? throw new RouterConfigException(handoversKey, $"{number} must be at least 1") : number;
            },
            1);

        return new SpillOverSettings
        {
            Enabled = errors.Read(() => ConfigRules.Switch(reader, $"{key}.enabled"), false),
            BacklogThreshold = threshold,
            MaxHandovers = handovers,
            TransferTimeout = errors.Read(() => ConfigRules.Positive(reader, $"{key}.transfer-timeout"), TimeSpan.MaxValue),
            MaxConcurrent = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{key}.max-concurrent"), 1),
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
}
