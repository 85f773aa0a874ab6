namespace Router.Actors.Configuration;

/// <summary><c>router.tracking</c>, kept apart from the other sections of <see cref="RouterConfig"/>.</summary>
public static partial class RouterConfig
{
    private const string TrackingKey = Root + ".tracking";

    private static TrackingOptions ReadTracking(HoconReader reader, string spoolPath)
    {
        var defaults = new TrackingOptions();
        var enabledKey = $"{TrackingKey}.enabled";
        var enabled = HoconReader.String(reader.At(enabledKey), enabledKey)?.Trim().ToLowerInvariant() switch
        {
            null => defaults.Enabled,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new RouterConfigException(enabledKey, $"expected on or off, got \"{other}\""),
        };

        var directoryKey = $"{TrackingKey}.directory";
        var directory = HoconReader.String(reader.At(directoryKey), directoryKey);
        if (directory is not null && string.IsNullOrWhiteSpace(directory))
            throw new RouterConfigException(directoryKey, "must name a folder (leave it out for <spool.path>/tracking)");

        var sizeKey = $"{TrackingKey}.max-file-size";
        var maxFileSize = HoconReader.ByteSize(reader.At(sizeKey), sizeKey, defaults.MaxFileSize);
        if (maxFileSize < 1024)
            throw new RouterConfigException(sizeKey, $"{maxFileSize} is below the minimum of 1 KiB");

        return new TrackingOptions
        {
            Enabled = enabled,
            Directory = directory?.Trim() ?? Path.Combine(spoolPath, "tracking"),
            MaxFileSize = maxFileSize,
            RetainFiles = AtLeastOne(reader, $"{TrackingKey}.retain-files", defaults.RetainFiles),
            QueueCapacity = AtLeastOne(reader, $"{TrackingKey}.queue-capacity", defaults.QueueCapacity),
        };
    }
}
