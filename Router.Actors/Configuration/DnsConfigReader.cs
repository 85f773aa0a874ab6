using System.Globalization;
using System.Net;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.dns</c>: the resolver of firewall pools.</summary>
internal static class DnsConfigReader
{
    private const string DnsKey = RouterConfig.Root + ".dns";

    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal) { "servers", "timeout", "min-ttl", "max-ttl" };

    public static DnsOptions Read(HoconReader reader, ConfigErrors errors)
    {
        if (reader.At(DnsKey) is { } block)
            errors.Check(() => ConfigRules.RejectUnknownKeys(HoconReader.Object(block, DnsKey), DnsKey, Keys, errors));

        var defaults = new DnsOptions();
        var serversKey = $"{DnsKey}.servers";
        var servers = errors.Read(() => HoconReader.StringList(reader.At(serversKey), serversKey).Select(s => Server(s.Text, s.Key)).ToArray(), []);
        var timeout = errors.Read(() => ConfigRules.PositiveDuration(reader.At($"{DnsKey}.timeout"), $"{DnsKey}.timeout", defaults.Timeout), defaults.Timeout);
        var minTtl = errors.Read(() => ConfigRules.PositiveDuration(reader.At($"{DnsKey}.min-ttl"), $"{DnsKey}.min-ttl", defaults.MinTtl), defaults.MinTtl);
        var maxTtl = errors.Read(() => ConfigRules.PositiveDuration(reader.At($"{DnsKey}.max-ttl"), $"{DnsKey}.max-ttl", defaults.MaxTtl), defaults.MaxTtl);
        if (maxTtl < minTtl)
            errors.Add($"{DnsKey}.max-ttl", $"{maxTtl} is shorter than min-ttl {minTtl}");
        return new DnsOptions { Servers = servers, Timeout = timeout, MinTtl = minTtl, MaxTtl = maxTtl };
    }

    /// <summary>"192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53" or "2001:db8::53"; port 53 unless given.</summary>
    private static IPEndPoint Server(string text, string key)
    {
        if (IPAddress.TryParse(text, out var address))
            return new IPEndPoint(address, 53);
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port is > 0)
            return endpoint;
        throw new RouterConfigException(key, $"\"{text}\" is not a DNS server address such as \"192.0.2.53\" or \"192.0.2.53:5353\" (a name cannot be resolved before the resolver exists)");
    }
}
