using System.Globalization;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.warm-up</c>: how many synthetic messages a starting node sends through itself first.</summary>
internal static class WarmUpConfigReader
{
    private const string WarmUpKey = RouterConfig.Root + ".warm-up";

    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal) { "messages", "sessions", "max-time" };

    public static WarmUpOptions Read(HoconReader reader, ConfigErrors errors)
    {
        if (reader.At(WarmUpKey) is { } block)
            errors.Check(() => ConfigRules.RejectUnknownKeys(HoconReader.Object(block, WarmUpKey), WarmUpKey, Keys, errors));

        var messagesKey = $"{WarmUpKey}.messages";
        var messages = errors.Read(() => Count(reader, messagesKey, 0, 100_000), 1000);
        var sessionsKey = $"{WarmUpKey}.sessions";
        var sessions = errors.Read(() => Count(reader, sessionsKey, 1, 100), 10);
        var maxTimeKey = $"{WarmUpKey}.max-time";
        var maxTime = errors.Read(() => ConfigRules.Positive(reader, maxTimeKey), TimeSpan.FromSeconds(30));
        return new WarmUpOptions { Messages = messages, Sessions = sessions, MaxTime = maxTime };
    }

    private static int Count(HoconReader reader, string key, int min, int max)
    {
        var text = HoconReader.RequiredString(reader.Required(key), key);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new RouterConfigException(key, $"expected a whole number from {min} to {max}, got \"{text}\"");
    }
}
