using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Router.Actors.Configuration;

/// <summary>One changed key that a running node cannot take: the reload is refused and the line says why.</summary>
public sealed record RestartOnlyChange(string Key, string Reason)
{
    public override string ToString() => $"{Key}: {Reason}";
}

/// <summary>
/// What a reload would change, worked out from the running and the new validated configuration: the
/// changed keys (flattened HOCON paths, reference defaults applied), which of them only a restart
/// can apply, and the firewalls and connectors added, removed or changed. Pure: the reload
/// (<c>ConfigReloadActor</c>) refuses the whole file when <see cref="RestartOnly"/> is not empty.
/// </summary>
public sealed record ConfigDiff
{
    /// <summary>Keys whose running value only a restart can change, with the reason given to the operator.</summary>
    private static readonly (string Prefix, string Reason)[] RestartOnlyKeys =
    [
        ("router.node-name", "the node's name is fixed while it runs"),
        ("router.spool", "the spool is opened at start-up"),
        ("router.smtp.listen", "the listener is never closed for a reload"),
        ("router.smtp.hostname", "the listener's server name is set at start-up"),
        ("router.smtp.max-connections", "the listener's session limit is set at start-up"),
        ("router.smtp.max-connections-per-ip", "the listener's per-address limit is set at start-up"),
        ("router.smtp.command-timeout", "the listener's backstop of the command timeout is set at start-up"),
        ("router.smtp.session-timeout", "the listener's session timeout is set at start-up"),
        ("router.smtp.shutdown-grace", "the host's shutdown timeout is set at start-up"),
        ("router.smtp.max-inflight-bytes", "the in-flight budget is shared by open sessions"),
        ("router.smtp.tls.handshake-timeout", "the listener's handshake timeout is set at start-up"),
        ("router.smtp.tls.required", "the listener's AUTH-before-TLS setting is fixed at start-up"),
        ("router.smtp.auth.allow-insecure", "the listener's AUTH-before-TLS setting is fixed at start-up"),
        ("router.smtp.auth.max-failures-per-client", "the AUTH failure counts are kept across sessions"),
        ("router.smtp.auth.failure-window", "the AUTH failure counts are kept across sessions"),
        ("router.delivery", "the poison rule's count is held by every connector and firewall"),
        ("router.tracking.enabled", "the tracking writer is started or not at start-up"),
        ("router.tracking.directory", "the tracking files are open"),
        ("router.tracking.queue-capacity", "the tracking queue is allocated at start-up"),
        ("router.cluster", "cluster membership settings are fixed while the node is a member"),
        ("router.shadow", "shadow redundancy is set up at start-up"),
        ("router.shadow-timeout", "shadow redundancy is set up at start-up"),
        ("router.shadow-deliver-first", "shadow redundancy is set up at start-up"),
        ("router.shadow-promote-after", "shadow redundancy is set up at start-up"),
        ("router.shadow-port", "the shadow listener is bound at start-up"),
        ("router.admin", "the admin endpoint is bound at start-up"),
        ("router.telemetry", "the OpenTelemetry exporters are set up at start-up"),
        ("router.warm-up", "the warm-up runs once, before the listener opens"),
        ("router.dns", "the resolver of firewall pools is set up at start-up"),
        ("akka", "the actor system's settings are read at start-up"),
    ];

    /// <summary>Every key whose value differs (added or removed keys included), sorted.</summary>
    public required IReadOnlyList<string> ChangedKeys { get; init; }

    /// <summary>Changed keys that need a restart; a reload with any of them applies nothing.</summary>
    public required IReadOnlyList<RestartOnlyChange> RestartOnly { get; init; }

    public required IReadOnlyList<string> FirewallsAdded { get; init; }
    public required IReadOnlyList<string> FirewallsRemoved { get; init; }

    /// <summary>Firewalls present before and after whose settings (own or inherited from <c>firewall-defaults</c>) differ.</summary>
    public required IReadOnlyList<string> FirewallsChanged { get; init; }

    public required IReadOnlyList<string> ConnectorsAdded { get; init; }
    public required IReadOnlyList<string> ConnectorsRemoved { get; init; }

    /// <summary>Connectors present before and after whose address spaces or firewalls differ.</summary>
    public required IReadOnlyList<string> ConnectorsChanged { get; init; }

    /// <summary>Nothing differs in the file (a TLS certificate renewed under the same path is applied all the same).</summary>
    public bool Empty => ChangedKeys.Count == 0;

    /// <summary>A one-line summary of the live changes, for the log and the command's answer.</summary>
    public string Summary()
    {
        var parts = new List<string>();
        void Add(string what, IReadOnlyList<string> ids)
        {
            if (ids.Count > 0)
                parts.Add($"{what} {string.Join(",", ids)}");
        }
        Add("firewalls added", FirewallsAdded);
        Add("firewalls removed", FirewallsRemoved);
        Add("firewalls changed", FirewallsChanged);
        Add("connectors added", ConnectorsAdded);
        Add("connectors removed", ConnectorsRemoved);
        Add("connectors changed", ConnectorsChanged);
        var other = ChangedKeys.Count(k => !k.StartsWith("router.firewalls.", StringComparison.Ordinal)
            && !k.StartsWith("router.connectors.", StringComparison.Ordinal) && !k.StartsWith("router.firewall-defaults.", StringComparison.Ordinal));
        if (other > 0)
            parts.Add($"{other} other key(s) changed");
        return parts.Count == 0 ? "no key changed" : string.Join("; ", parts);
    }

    /// <summary>Compares two validated configurations (their <see cref="RouterOptions.Hocon"/> trees and parsed options).</summary>
    /// <param name="started">The configuration the node started with, when it differs from <paramref name="running"/>: the listener's own limits are from it.</param>
    public static ConfigDiff Between(RouterOptions running, RouterOptions next, RouterOptions? started = null)
    {
        started ??= running;
        var before = Flatten(running.Hocon);
        var after = Flatten(next.Hocon);
        var changed = before.Keys.Union(after.Keys, StringComparer.Ordinal)
            .Where(k => !before.TryGetValue(k, out var a) || !after.TryGetValue(k, out var b) || a != b)
            .Order(StringComparer.Ordinal)
            .ToArray();

        var restartOnly = new List<RestartOnlyChange>();
        foreach (var key in changed)
        {
            foreach (var (prefix, reason) in RestartOnlyKeys)
            {
                if (IsUnder(key, prefix))
                {
                    restartOnly.Add(new RestartOnlyChange(key, $"{reason}: a restart is needed to change it"));
                    break;
                }
            }
        }
        // The certificate file may be renewed in place (applied live); STARTTLS offered or not is the listener's.
        if ((running.Smtp.Tls.Certificate is null) != (next.Smtp.Tls.Certificate is null))
            restartOnly.Add(new RestartOnlyChange("router.smtp.tls.certificate",
                "STARTTLS is offered or not by the listener from start-up: a restart is needed to turn it on or off (a renewed certificate is applied live)"));

        // Listener blocks: their names and endpoints are the listener's sockets, opened at start-up; their policies reload live.
        static string Sockets(SmtpListenerOptions l) => string.Join(",", l.Listen.Select(e => e.ToString()));
        var startedListeners = started.Smtp.EffectiveListeners.ToDictionary(l => l.Name, Sockets, StringComparer.Ordinal);
        var nextListeners = next.Smtp.EffectiveListeners.ToDictionary(l => l.Name, Sockets, StringComparer.Ordinal);
        foreach (var name in startedListeners.Keys.Union(nextListeners.Keys).Order(StringComparer.Ordinal))
        {
            if (!startedListeners.TryGetValue(name, out var was) || !nextListeners.TryGetValue(name, out var now) || was != now)
                restartOnly.Add(new RestartOnlyChange(name == SmtpOptions.DefaultListener && next.Smtp.Listeners.Count == 0 ? "router.smtp.listen" : $"{SmtpRelayConfigReader.ListenersKey}.{name}.listen",
                    "listeners and their endpoints are opened at start-up (their relay policies reload live)"));
        }

        // A listener's STARTTLS-before-MAIL and AUTH-without-TLS are its endpoints' settings, fixed at start-up.
        foreach (var listener in next.Smtp.Listeners)
        {
            if (started.Smtp.EffectiveListeners.FirstOrDefault(l => l.Name == listener.Name) is not { } was)
                continue;
            if (started.Smtp.TlsRequiredOn(was) != next.Smtp.TlsRequiredOn(listener))
                restartOnly.Add(new RestartOnlyChange($"{SmtpRelayConfigReader.ListenersKey}.{listener.Name}.tls.required",
                    "the listener's AUTH-before-TLS setting is fixed at start-up: a restart is needed to change it"));
            if (was.MaxConnections != listener.MaxConnections)
                restartOnly.Add(new RestartOnlyChange($"{SmtpRelayConfigReader.ListenersKey}.{listener.Name}.max-connections",
                    "the listener's session limit is set at start-up: a restart is needed to change it"));
            if (started.Smtp.AuthAllowInsecureOn(was) != next.Smtp.AuthAllowInsecureOn(listener))
                restartOnly.Add(new RestartOnlyChange($"{SmtpRelayConfigReader.ListenersKey}.{listener.Name}.auth.allow-insecure",
                    "the listener's AUTH-before-TLS setting is fixed at start-up: a restart is needed to change it"));
        }

        if (next.Smtp.MaxMessageSize > started.Smtp.MaxMessageSize)
            restartOnly.Add(new RestartOnlyChange("router.smtp.max-message-size",
                $"the listener's own limit is from start-up ({started.Smtp.MaxMessageSize}): a reload may lower it, a restart is needed to raise it above that"));

        var oldFirewalls = running.Firewalls.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var newFirewalls = next.Firewalls.Select(f => f.Id).ToArray();
        var defaultsChanged = changed.Any(k => IsUnder(k, "router.firewall-defaults"));
        var oldConnectors = running.Connectors.ToDictionary(c => c.Id, StringComparer.Ordinal);
        // A connector that becomes or stops being an MX connector, or changes its MX port, is made again: its actor is
        // one kind or the other from its start.
        var remade = next.Connectors.Where(c => oldConnectors.TryGetValue(c.Id, out var old) && old.Mx != c.Mx).Select(c => c.Id)
            .ToHashSet(StringComparer.Ordinal);

        return new ConfigDiff
        {
            ChangedKeys = changed,
            RestartOnly = restartOnly.DistinctBy(r => r.Key).ToArray(),
            FirewallsAdded = newFirewalls.Where(id => !oldFirewalls.Contains(id)).ToArray(),
            FirewallsRemoved = running.Firewalls.Select(f => f.Id).Where(id => !newFirewalls.Contains(id)).ToArray(),
            // A pool's members come from one block: a change of that block changes every member.
            FirewallsChanged = next.Firewalls.Where(f => oldFirewalls.Contains(f.Id)
                && (defaultsChanged || changed.Any(k => IsUnder(k, $"router.firewalls.{Quote(f.DeclaredId)}")))).Select(f => f.Id).ToArray(),
            ConnectorsAdded = next.Connectors.Where(c => !oldConnectors.ContainsKey(c.Id) || remade.Contains(c.Id)).Select(c => c.Id).ToArray(),
            ConnectorsRemoved = running.Connectors.Where(c => !next.Connectors.Any(n => n.Id == c.Id) || remade.Contains(c.Id)).Select(c => c.Id).ToArray(),
            ConnectorsChanged = next.Connectors.Where(c => oldConnectors.TryGetValue(c.Id, out var old) && !remade.Contains(c.Id)
                && (!old.FirewallIds.SequenceEqual(c.FirewallIds) || !old.AddressSpaces.Select(a => a.ToString()).SequenceEqual(c.AddressSpaces.Select(a => a.ToString()))))
                .Select(c => c.Id).ToArray(),
        };
    }

    /// <summary>The <c>router</c> and <c>akka</c> sections as "dotted.key" → rendered value, leaves only.</summary>
    public static IReadOnlyDictionary<string, string> Flatten(Config? config)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config is null)
            return keys;
        foreach (var section in new[] { RouterConfig.Root, "akka" })
        {
            if (config.HasPath(section) && config.GetValue(section) is { } value)
                Flatten(section, value, keys);
        }
        return keys;
    }

    private static void Flatten(string path, HoconValue value, Dictionary<string, string> keys)
    {
        if (value.IsObject())
        {
            foreach (var (name, child) in value.GetObject().Items)
                Flatten($"{path}.{Quote(name)}", child, keys);
            return;
        }
        keys[path] = value.ToString();
    }

    private static string Quote(string name) => name.Contains('.') ? $"\"{name}\"" : name;

    private static bool IsUnder(string key, string prefix) =>
        key == prefix || (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length && key[prefix.Length] is '.' or '[');
}
