namespace Router.Actors.Configuration;

/// <summary><c>router.shadow*</c> (shadow redundancy), kept apart from the other sections of <see cref="RouterConfig"/>.</summary>
public static partial class RouterConfig
{
    private const string ShadowKey = Root + ".shadow";

    private static ShadowOptions ReadShadow(HoconReader reader, bool clustered)
    {
        var defaults = new ShadowOptions();
        var mode = HoconReader.String(reader.At(ShadowKey), ShadowKey)?.Trim().ToLowerInvariant() switch
        {
            null => defaults.Mode,
            "off" or "false" or "no" => ShadowMode.Off,
            "preferred" => ShadowMode.Preferred,
            "required" => ShadowMode.Required,
            var other => throw new RouterConfigException(ShadowKey, $"expected off, preferred or required, got \"{other}\""),
        };

        var timeoutKey = $"{ShadowKey}-timeout";
        var timeout = HoconReader.Duration(reader.At(timeoutKey), timeoutKey, defaults.Timeout);
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(5))
        {
            throw new RouterConfigException(timeoutKey, $"{timeout} is outside 1ms-5m (it delays the 250)");
        }

        var promoteKey = $"{ShadowKey}-promote-after";
        var promoteAfter = HoconReader.Duration(reader.At(promoteKey), promoteKey, defaults.PromoteAfter);
        if (promoteAfter < TimeSpan.Zero)
        {
            throw new RouterConfigException(promoteKey, $"{promoteAfter} must not be negative");
        }

        return new ShadowOptions
        {
            // A node alone has no peer to hold a copy: shadow redundancy is a cluster feature.
            Mode = clustered ? mode : ShadowMode.Off,
            Timeout = timeout,
            PromoteAfter = promoteAfter,
        };
    }
}
