using System.Net;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.admin</c>: the admin endpoint's address and the token it needs off loopback.</summary>
internal static class AdminConfigReader
{
    private const string AdminKey = RouterConfig.Root + ".admin";

    public static AdminOptions Read(HoconReader reader, ConfigErrors errors)
    {
        var enabledKey = $"{AdminKey}.enabled";
        var enabled = errors.Read(
            () => HoconReader.String(reader.Required(enabledKey), enabledKey) switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                var other => throw new RouterConfigException(enabledKey, $"expected on or off, got \"{other}\""),
            },
            false);

        var listenKey = $"{AdminKey}.listen";
        var listenRead = errors.TryRead(
            () =>
            {
                var text = HoconReader.String(reader.Required(listenKey), listenKey)!;
                var trimmed = text.Trim();
                return IPEndPoint.TryParse(trimmed, out var parsed) && ConfigRules.HasExplicitPort(trimmed, parsed)
                    ? parsed
                    : throw new RouterConfigException(listenKey, $"\"{text}\" is not an address and port such as 127.0.0.1:9110 or [::1]:9110");
            },
            new IPEndPoint(IPAddress.Loopback, AdminOptions.DefaultPort),
            out var listen);

        var tokenKey = $"{AdminKey}.token";
        var tokenRead = errors.TryRead(
            () =>
            {
                var text = HoconReader.String(reader.At(tokenKey), tokenKey)?.Trim();
                return text is { Length: > 0 } && (text.Length < 16 || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                    ? throw new RouterConfigException(tokenKey, "must be at least 16 characters, without spaces")
                    : text;
            },
            null,
            out var token);

        var options = new AdminOptions { Enabled = enabled, Listen = listen, Token = string.IsNullOrEmpty(token) ? null : token };
        if (listenRead && tokenRead && options.TokenMissingForNonLoopback)
        {
            errors.Add(tokenKey, $"is required when {listenKey} ({listen}) is not a loopback address");
        }

        return options;
    }
}
