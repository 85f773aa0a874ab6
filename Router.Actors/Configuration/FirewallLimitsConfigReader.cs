using Akka.Configuration.Hocon;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads a firewall's share and sending limits (<c>weight</c>, <c>max-messages-per-connection</c>,
/// <c>max-message-rate</c>, <c>max-connection-rate</c>, <c>min-connections-per-node</c>) over what it inherits from
/// <c>firewall-defaults</c>; <c>max-connections</c> is read before (it is in <paramref name="inherited"/> of Read).
/// </summary>
internal static class FirewallLimitsConfigReader
{
    public const int MaxWeight = 1000;

    public static readonly string[] Keys = ["weight", "max-messages-per-connection", "max-message-rate", "max-connection-rate", "min-connections-per-node"];

    private const string Unlimited = "unlimited";

    public static FirewallOptions Read(Func<string, HoconValue?> get, string key, FirewallOptions inherited, ConfigErrors errors)
    {
        var weightKey = $"{key}.weight";
        var weight = errors.Read(
            () =>
            {
                var value = ConfigRules.AtLeastOne(get("weight"), weightKey, inherited.Weight);
                return value <= MaxWeight ? value : throw new RouterConfigException(weightKey, $"{value} is out of range 1-{MaxWeight}");
            },
            inherited.Weight);

        var perConnectionKey = $"{key}.max-messages-per-connection";
        var perConnection = errors.Read(
            () => HoconReader.String(get("max-messages-per-connection"), perConnectionKey) is not { } text ? inherited.MaxMessagesPerConnection
                : IsUnlimited(text) ? null
                : (int?)ConfigRules.AtLeastOne(get("max-messages-per-connection"), perConnectionKey, 1),
            inherited.MaxMessagesPerConnection);

        // The floor of a node's part of max-connections in a cluster: more than the whole budget would be no budget.
        var floorKey = $"{key}.min-connections-per-node";
        var floor = errors.Read(
            () =>
            {
                var value = ConfigRules.AtLeastOne(get("min-connections-per-node"), floorKey, inherited.MinConnectionsPerNode);
                return value <= inherited.MaxConnections ? value
                    : throw new RouterConfigException(floorKey, $"{value} is more than max-connections {inherited.MaxConnections}");
            },
            inherited.MinConnectionsPerNode);

        return inherited with
        {
            Weight = weight,
            MinConnectionsPerNode = floor,
            MaxMessagesPerConnection = perConnection,
            MaxMessageRate = Rate(get("max-message-rate"), $"{key}.max-message-rate", inherited.MaxMessageRate, errors),
            MaxConnectionRate = Rate(get("max-connection-rate"), $"{key}.max-connection-rate", inherited.MaxConnectionRate, errors),
        };
    }

    private static SendingRate? Rate(HoconValue? value, string key, SendingRate? inherited, ConfigErrors errors) =>
        errors.Read(
            () => HoconReader.String(value, key) is not { } text ? inherited
                : IsUnlimited(text) ? null
                : SendingRate.TryParse(text, out var rate, out var error) ? rate
                : throw new RouterConfigException(key, error),
            inherited);

    private static bool IsUnlimited(string text) => text.Trim().Equals(Unlimited, StringComparison.OrdinalIgnoreCase);
}
