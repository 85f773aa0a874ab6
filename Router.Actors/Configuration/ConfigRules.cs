using System.Net;
using System.Text.RegularExpressions;
using Akka.Configuration.Hocon;
using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>
/// The value rules the section readers share (positive durations, counts of at least one, switches, host names,
/// ids, known keys), each throwing a <see cref="RouterConfigException"/> that names the key.
/// </summary>
internal static partial class ConfigRules
{
    public static TimeSpan Positive(HoconReader reader, string key) =>
        PositiveDuration(reader.Required(key), key, TimeSpan.Zero);

    public static TimeSpan PositiveDuration(HoconValue? value, string key, TimeSpan fallback)
    {
        var duration = HoconReader.Duration(value, key, fallback);
        return duration > TimeSpan.Zero
            ? duration
            : throw new RouterConfigException(key, $"{duration} must be greater than zero");
    }

    public static int AtLeastOne(HoconReader reader, string key) =>
        AtLeastOne(reader.Required(key), key, 0);

    public static int AtLeastOne(HoconValue? value, string key, int fallback)
    {
        var number = HoconReader.Int(value, key, fallback);
        return number >= 1 ? number : throw new RouterConfigException(key, $"{number} must be at least 1");
    }

    public static long PositiveSize(long value, string key) =>
        value > 0 ? value : throw new RouterConfigException(key, $"{value} must be greater than zero");

    /// <summary>on/true/yes or off/false/no, in any case; <paramref name="fallback"/> when absent.</summary>
    public static bool Switch(HoconValue? value, string key, bool fallback) =>
        HoconReader.String(value, key)?.Trim().ToLowerInvariant() switch
        {
            null => fallback,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new RouterConfigException(key, $"expected on or off, got \"{other}\""),
        };

    /// <summary>A switch the reference configuration sets.</summary>
    public static bool Switch(HoconReader reader, string key) => Switch(reader.Required(key), key, fallback: false);

    public static string HostName(string text, string key) =>
        DomainName.TryNormalize(text, out var normalized, out var error) && !DomainName.IsAddressLiteral(normalized)
            ? normalized
            : throw new RouterConfigException(key, $"\"{text}\" is not a valid host name: {error ?? "an address literal is not a host name"}");

    public static bool IsHost(string text) =>
        Uri.CheckHostName(text) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;

    /// <summary>
    /// Whether an endpoint's text names its port. IPEndPoint.TryParse takes "127.0.0.1" as port 0; a forgotten
    /// port must be an error rather than a random port. Port 0 itself is allowed (tests bind it).
    /// </summary>
    public static bool HasExplicitPort(string text, IPEndPoint endpoint) =>
        endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal);

    public static void RequireId(string id, string key, string kind)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw new RouterConfigException(key, $"\"{id}\" is not a valid {kind} id: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
    }

    /// <summary>
    /// Notes every key of <paramref name="block"/> that is not in <paramref name="known"/>. A typo such as
    /// "conect-timeout" would otherwise be ignored silently and the default used. False when there was one: the
    /// caller then does not also report the key the typo meant as missing.
    /// </summary>
    public static bool RejectUnknownKeys(HoconObject block, string key, HashSet<string> known, ConfigErrors errors)
    {
        var allKnown = true;
        foreach (var name in block.Items.Keys)
        {
            if (!known.Contains(name))
            {
                errors.Add(HoconReader.Key(key, name), $"unknown key; expected one of {string.Join(", ", known)}");
                allKnown = false;
            }
        }

        return allKnown;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    public static partial Regex IdPattern();
}
