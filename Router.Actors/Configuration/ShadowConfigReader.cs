namespace Router.Actors.Configuration;

/// <summary>
/// Reads <c>router.shadow</c>, <c>router.shadow-timeout</c>, <c>router.shadow-deliver-first</c>, <c>router.shadow-promote-after</c> and <c>router.shadow-port</c>
/// (shadow redundancy).
/// </summary>
internal static class ShadowConfigReader
{
    private const string ShadowKey = RouterConfig.Root + ".shadow";

    /// <param name="clustered">Whether the node runs in a cluster: a node alone has no peer to hold a copy.</param>
    public static ShadowOptions Read(HoconReader reader, bool clustered, ConfigErrors errors)
    {
        var mode = errors.Read(
            () => HoconReader.String(reader.Required(ShadowKey), ShadowKey)?.Trim().ToLowerInvariant() switch
            {
                "off" or "false" or "no" => ShadowMode.Off,
                "preferred" => ShadowMode.Preferred,
                "required" => ShadowMode.Required,
                var other => throw new RouterConfigException(ShadowKey, $"expected off, preferred or required, got \"{other}\""),
            },
            ShadowMode.Off);

        var timeoutKey = $"{ShadowKey}-timeout";
        var timeout = errors.Read(
            () =>
            {
                var duration = HoconReader.Duration(reader.Required(timeoutKey), timeoutKey, TimeSpan.Zero);
                return duration <= TimeSpan.Zero || duration > TimeSpan.FromMinutes(5)
                    ? throw new RouterConfigException(timeoutKey, $"{duration} is outside 1ms-5m (it delays the 250)")
                    : duration;
            },
            TimeSpan.Zero);

        var deliverFirstKey = $"{ShadowKey}-deliver-first";
        var deliverFirst = errors.Read(
            () =>
            {
                var duration = HoconReader.Duration(reader.Required(deliverFirstKey), deliverFirstKey, TimeSpan.Zero);
                return duration < TimeSpan.Zero || duration > TimeSpan.FromSeconds(30)
                    ? throw new RouterConfigException(deliverFirstKey, $"{duration} is outside 0-30s (it delays the 250)")
                    : duration;
            },
            TimeSpan.Zero);

        var promoteKey = $"{ShadowKey}-promote-after";
        var promoteAfter = errors.Read(
            () =>
            {
                var duration = HoconReader.Duration(reader.Required(promoteKey), promoteKey, TimeSpan.Zero);
                return duration < TimeSpan.Zero ? throw new RouterConfigException(promoteKey, $"{duration} must not be negative") : duration;
            },
            TimeSpan.Zero);

        var portKey = $"{ShadowKey}-port";
        var port = errors.Read(
            () => HoconReader.String(reader.Required(portKey), portKey)?.Trim().ToLowerInvariant() switch
            {
                "off" or "false" or "no" => (int?)null,
                var text when int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
                    && number <= 65535 => number,
                var other => throw new RouterConfigException(portKey, $"expected off or a TCP port 0-65535 (0: any free port), got \"{other}\""),
            },
            null);

        return new ShadowOptions
        {
            Port = port,
            Mode = clustered ? mode : ShadowMode.Off,
            Timeout = timeout,
            DeliverFirst = deliverFirst,
            PromoteAfter = promoteAfter,
        };
    }
}
