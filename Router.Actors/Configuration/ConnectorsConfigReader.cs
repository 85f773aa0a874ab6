using Akka.Configuration.Hocon;
using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads <c>router.connectors</c>: each connector's address spaces and the firewalls it sends through, and its policy
/// over <c>router.connector-defaults</c> (<see cref="ConnectorPolicyConfigReader"/>).
/// </summary>
internal static class ConnectorsConfigReader
{
    private const string ConnectorsKey = RouterConfig.Root + ".connectors";

    private static readonly HashSet<string> ConnectorKeys = ["address-spaces", "firewalls", "mx", "mx-port", .. ConnectorPolicyConfigReader.Keys];

    /// <param name="firewallIds">The ids of the firewalls the file defines.</param>
    public static IReadOnlyList<ConnectorOptions> Read(HoconReader reader, HashSet<string> firewallIds, ConfigErrors errors)
    {
        var entries = errors.Read(() => HoconReader.Entries(reader.At(ConnectorsKey), ConnectorsKey), null);
        if (entries is null)
        {
            return [];
        }

        if (entries.Count == 0)
        {
            errors.Add(ConnectorsKey, "no connectors are configured; at least one is needed to route mail");
            return [];
        }

        var defaults = ConnectorPolicyConfigReader.ReadDefaults(reader, errors);
        var connectors = new List<ConnectorOptions>();
        foreach (var (id, value) in entries)
        {
            var key = HoconReader.Key(ConnectorsKey, id);
            errors.Check(() => ConfigRules.RequireId(id, key, "connector"));
            // HOCON merges two blocks with the same key into one, so a repeated id cannot be seen.
            // What can be ambiguous is a firewall and a connector sharing an id: logs and operator
            // commands ("firewall trip <id>", "route test") name both kinds by bare id.
            if (firewallIds.Contains(id))
            {
                errors.Add(key, $"duplicate id: \"{id}\" is also a firewall; give connectors and firewalls distinct ids");
            }

            if (!errors.TryRead(() => HoconReader.Object(value, key), null, out var block) || block is null)
            {
                continue;
            }

            var allKnown = ConfigRules.RejectUnknownKeys(block, key, ConnectorKeys, errors);
            var mx = ReadMx(block, key, errors);
            connectors.Add(new ConnectorOptions
            {
                Id = id,
                AddressSpaces = ReadAddressSpaces(block, key, reportMissing: allKnown, errors),
                // An MX connector's firewalls are the MX hosts of each recipient domain.
                FirewallIds = mx is null ? ReadFirewalls(block, key, firewallIds, reportMissing: allKnown, errors) : [],
                Policy = ConnectorPolicyConfigReader.Read(name => HoconReader.Child(block, name), key, defaults, errors),
                Mx = mx,
            });
        }

        return connectors;
    }

    /// <summary><c>mx = on</c> (with no <c>firewalls</c>) and <c>mx-port</c>; null for a connector of firewalls.</summary>
    private static MxOptions? ReadMx(HoconObject block, string connectorKey, ConfigErrors errors)
    {
        var mxKey = $"{connectorKey}.mx";
        if (!errors.Read(() => ConfigRules.Switch(HoconReader.Child(block, "mx"), mxKey, fallback: false), false))
        {
            if (HoconReader.Child(block, "mx-port") is not null)
                errors.Add($"{connectorKey}.mx-port", "applies only to an MX connector (mx = on)");
            return null;
        }
        if (HoconReader.Child(block, "firewalls") is not null)
            errors.Add($"{connectorKey}.firewalls", "an MX connector (mx = on) delivers to the MX hosts of each recipient's domain and takes no firewalls");
        var portKey = $"{connectorKey}.mx-port";
        var port = errors.Read(() =>
        {
            var number = HoconReader.Int(HoconReader.Child(block, "mx-port"), portKey, 25);
            return number is < 1 or > 65535 ? throw new RouterConfigException(portKey, $"{number} is out of range 1-65535") : number;
        }, 25);
        return new MxOptions(port);
    }

    private static IReadOnlyList<AddressSpace> ReadAddressSpaces(HoconObject block, string connectorKey, bool reportMissing, ConfigErrors errors)
    {
        var key = $"{connectorKey}.address-spaces";
        var entries = errors.Read(() => HoconReader.StringList(HoconReader.Child(block, "address-spaces"), key), null);
        if (entries is null)
        {
            return [];
        }

        if (entries.Count == 0)
        {
            if (reportMissing)
                errors.Add(key, "at least one address space such as \"*;1\" is needed");
            return [];
        }

        var spaces = new List<AddressSpace>();
        foreach (var (text, itemKey) in entries)
        {
            if (!AddressSpace.TryParse(text, out var space, out var error))
            {
                errors.Add(itemKey, error);
                continue;
            }

            // Same pattern twice in one connector: at best redundant, at worst two costs for one route.
            if (spaces.Find(s => s.Pattern == space.Pattern) is { } earlier)
            {
                errors.Add(itemKey, $"duplicate pattern \"{space.Pattern}\" (already listed as \"{earlier}\")");
                continue;
            }

            spaces.Add(space);
        }

        return spaces;
    }

    private static IReadOnlyList<string> ReadFirewalls(HoconObject block, string connectorKey, HashSet<string> known, bool reportMissing, ConfigErrors errors)
    {
        var key = $"{connectorKey}.firewalls";
        var entries = errors.Read(() => HoconReader.StringList(HoconReader.Child(block, "firewalls"), key), null);
        if (entries is null)
        {
            return [];
        }

        if (entries.Count == 0)
        {
            if (reportMissing)
                errors.Add(key, "at least one firewall is needed");
            return [];
        }

        var ids = new List<string>();
        foreach (var (text, itemKey) in entries)
        {
            var id = text.Trim();
            if (!known.Contains(id))
            {
                errors.Add(itemKey, $"unknown firewall \"{id}\"; define it under {FirewallsConfigReader.FirewallsKey}");
                continue;
            }

            if (ids.Contains(id))
            {
                errors.Add(itemKey, $"duplicate firewall \"{id}\" in this connector");
                continue;
            }

            ids.Add(id);
        }

        return ids;
    }
}
