namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.tracking</c>: the message tracking log's folder, file size, retention and queue.</summary>
internal static class TrackingConfigReader
{
    private const string TrackingKey = RouterConfig.Root + ".tracking";

    /// <param name="spoolPath">The spool folder; the log goes to its <c>tracking</c> subfolder unless configured.</param>
    public static TrackingOptions Read(HoconReader reader, string spoolPath, ConfigErrors errors)
    {
        var enabled = errors.Read(() => ConfigRules.Switch(reader, $"{TrackingKey}.enabled"), false);

        var directoryKey = $"{TrackingKey}.directory";
        var directory = errors.Read(
            () => HoconReader.String(reader.At(directoryKey), directoryKey) is { } text && string.IsNullOrWhiteSpace(text)
                ? throw new RouterConfigException(directoryKey, "must name a folder (leave it out for <spool.path>/tracking)")
                : HoconReader.String(reader.At(directoryKey), directoryKey),
            null);

        var sizeKey = $"{TrackingKey}.max-file-size";
        var maxFileSize = errors.Read(
            () =>
            {
                var size = HoconReader.ByteSize(reader.Required(sizeKey), sizeKey, 0);
                return size < 1024 ? throw new RouterConfigException(sizeKey, $"{size} is below the minimum of 1 KiB") : size;
            },
            1024);

        return new TrackingOptions
        {
            Enabled = enabled,
            Directory = directory?.Trim() ?? Path.Combine(spoolPath, "tracking"),
            MaxFileSize = maxFileSize,
            RetainFiles = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{TrackingKey}.retain-files"), 1),
            QueueCapacity = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{TrackingKey}.queue-capacity"), 1),
        };
    }
}
