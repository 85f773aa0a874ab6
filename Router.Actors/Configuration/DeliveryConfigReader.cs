using Router.Actors.Delivery;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.retry</c> (the retry schedule, expiry and delay notices) and <c>router.delivery</c>.</summary>
internal static class DeliveryConfigReader
{
    private const string RetryKey = RouterConfig.Root + ".retry";
    private const string DeliveryKey = RouterConfig.Root + ".delivery";

    public static DeliveryOptions Read(HoconReader reader, ConfigErrors errors) => new()
    {
        Retry = ReadRetry(reader, errors),
        PoisonAfter = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{DeliveryKey}.poison-after"), 1),
    };

    private static RetryPolicy ReadRetry(HoconReader reader, ConfigErrors errors)
    {
        var scheduleKey = $"{RetryKey}.schedule";
        var schedule = new List<TimeSpan>();
        var entries = errors.Read(() => HoconReader.StringList(reader.At(scheduleKey), scheduleKey), []);
        if (entries.Count == 0)
        {
            // An empty schedule is the reference one.
            entries = HoconReader.StringList(HoconReader.Default(scheduleKey), scheduleKey);
        }

        foreach (var (text, itemKey) in entries)
        {
            if (HoconReader.TryParseDuration(text, out var delay) && delay > TimeSpan.Zero)
                schedule.Add(delay);
            else
                errors.Add(itemKey, $"expected a positive duration such as 1m, got \"{text}\"");
        }

        var expireAfter = errors.Read(() => ConfigRules.Positive(reader, $"{RetryKey}.expire-after"), TimeSpan.MaxValue);
        var noticeKey = $"{RetryKey}.delay-notice-after";
        var notice = errors.Read(
            () => HoconReader.String(reader.At(noticeKey), noticeKey) is null or "off" or "0"
                ? (TimeSpan?)null
                : ConfigRules.PositiveDuration(reader.At(noticeKey), noticeKey, TimeSpan.Zero),
            null);
        return new RetryPolicy(schedule.ToArray(), expireAfter, notice);
    }
}
