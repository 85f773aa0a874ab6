using System.Globalization;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.spool</c>: the spool folder, its segment size, and the limits that pause intake.</summary>
internal static class SpoolConfigReader
{
    private const string SpoolKey = RouterConfig.Root + ".spool";

    public static SpoolSettings Read(HoconReader reader, ConfigErrors errors)
    {
        var segmentKey = $"{SpoolKey}.segment-size";
        var segmentSize = errors.Read(
            () => ConfigRules.PositiveSize(HoconReader.ByteSize(reader.Required(segmentKey), segmentKey, 0), segmentKey),
            1);

        var pathKey = $"{SpoolKey}.path";
        var path = errors.Read(
            () => HoconReader.String(reader.Required(pathKey), pathKey) is { } text && !string.IsNullOrWhiteSpace(text)
                ? text.Trim()
                : throw new RouterConfigException(pathKey, "must name the spool folder"),
            fallback: HoconReader.String(HoconReader.Default(pathKey), pathKey)!);

        var maxMessagesKey = $"{SpoolKey}.max-messages";
        var maxBytesKey = $"{SpoolKey}.max-bytes";
        var minFreeKey = $"{SpoolKey}.min-free-disk";
        return new SpoolSettings
        {
            Path = path,
            SegmentSize = segmentSize,
            MaxMessages = errors.Read(() => ConfigRules.PositiveSize(HoconReader.Int(reader.Required(maxMessagesKey), maxMessagesKey, 0), maxMessagesKey), 1),
            MaxBytes = errors.Read(() => ConfigRules.PositiveSize(HoconReader.ByteSize(reader.Required(maxBytesKey), maxBytesKey, 0), maxBytesKey), 1),
            MinFreeDisk = errors.Read(() => HoconReader.ByteSize(reader.Required(minFreeKey), minFreeKey, 0), 0),
            ResumeAt = errors.Read(() => ReadFraction(reader, $"{SpoolKey}.resume-at"), 0.5),
        };
    }

    private static double ReadFraction(HoconReader reader, string key)
    {
        var text = HoconReader.String(reader.Required(key), key);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is > 0 and < 1
            ? value
            : throw new RouterConfigException(key, $"expected a fraction between 0 and 1 such as 0.9, got \"{text}\"");
    }
}
