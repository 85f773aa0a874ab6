using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration.Hocon;

namespace Router.Actors.Configuration;

/// <summary>
/// Reads the TLS and AUTH keys of a firewall block (and of <c>router.firewall-defaults</c>). Secrets are read here,
/// at start-up, so that a missing file stops the node with its key.
/// </summary>
internal static class FirewallSecurityConfigReader
{
    private static readonly HashSet<string> AuthBlockKeys = ["user", "password-file", "password-env"];

    /// <summary>
    /// Reads <c>tls</c>, <c>tls-ca-file</c>, <c>tls-server-name</c>, <c>auth</c> (or <c>auth-user</c> with
    /// <c>auth-password-file</c> / <c>auth-password-env</c>) and <c>auth-allow-insecure</c> over what the block inherits.
    /// </summary>
    /// <param name="get">A key of the block, with any fallback the block has.</param>
    public static FirewallOptions Read(
        Func<string, HoconValue?> get, HoconObject block, string key, FirewallOptions inherited, bool isDefaults, ConfigErrors errors)
    {
        var tlsKey = $"{key}.tls";
        // A CA file or server name is checked against tls only when tls itself was read.
        var tlsRead = errors.TryRead(
            () => HoconReader.String(get("tls"), tlsKey) is { } tlsText ? ParseTls(tlsText, tlsKey) : inherited.Tls, inherited.Tls, out var tls);

        var caKey = $"{key}.tls-ca-file";
        var (caFile, anchors) = errors.Read(
            () =>
            {
                if (HoconReader.String(get("tls-ca-file"), caKey) is not { } caText)
                {
                    return (inherited.TlsCaFile, inherited.TlsTrustAnchors);
                }

                RequireVerify(tls, caKey, isDefaults || !tlsRead);
                var path = string.IsNullOrWhiteSpace(caText) ? throw new RouterConfigException(caKey, "must name a PEM file") : caText.Trim();
                return (path, LoadTrustAnchors(path, caKey));
            },
            (inherited.TlsCaFile, inherited.TlsTrustAnchors));

        var serverNameKey = $"{key}.tls-server-name";
        var serverName = errors.Read(
            () =>
            {
                if (HoconReader.String(get("tls-server-name"), serverNameKey) is not { } serverNameText)
                {
                    return inherited.TlsServerName;
                }

                RequireVerify(tls, serverNameKey, isDefaults || !tlsRead);
                return ConfigRules.HostName(serverNameText, serverNameKey);
            },
            inherited.TlsServerName);

        var allowInsecureKey = $"{key}.auth-allow-insecure";
        var allowInsecure = errors.Read(() => ConfigRules.Switch(get("auth-allow-insecure"), allowInsecureKey, inherited.AuthAllowInsecure), inherited.AuthAllowInsecure);
        var authRead = errors.TryRead(() => ReadAuth(block, key, inherited.Auth), inherited.Auth, out var auth);
        if (authRead && auth is not null && tls == FirewallTls.None && !allowInsecure)
        {
            errors.Add(
                get("auth") is not null ? $"{key}.auth" : $"{key}.auth-user",
                "credentials would travel in clear text with tls = none; use TLS or set auth-allow-insecure = on");
        }

        return inherited with
        {
            Tls = tls,
            TlsCaFile = caFile,
            TlsTrustAnchors = anchors,
            TlsServerName = serverName,
            Auth = auth,
            AuthAllowInsecure = allowInsecure,
        };
    }

    private static FirewallTls ParseTls(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "none" or "off" => FirewallTls.None,
        "opportunistic" => FirewallTls.Opportunistic,
        "required" => FirewallTls.Required,
        "verify" => FirewallTls.Verify,
        _ => throw new RouterConfigException(key, $"expected none, opportunistic, required or verify, got \"{text}\""),
    };

    // In firewall-defaults a CA file or server name may serve only the firewalls that set tls = verify themselves;
    // and when tls could not be read, its own error says enough.
    private static void RequireVerify(FirewallTls tls, string key, bool exempt)
    {
        if (tls != FirewallTls.Verify && !exempt)
        {
            throw new RouterConfigException(key, $"is only used with tls = verify (tls is {tls.ToString().ToLowerInvariant()})");
        }
    }

    private static X509Certificate2Collection LoadTrustAnchors(string path, string key)
    {
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new RouterConfigException(key, $"cannot read the CA certificates from \"{path}\": {e.Message}", e);
        }

        return anchors.Count > 0
            ? anchors
            : throw new RouterConfigException(key, $"\"{path}\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    private static FirewallCredentials? ReadAuth(HoconObject block, string key, FirewallCredentials? inherited)
    {
        var authKey = $"{key}.auth";
        var nested = HoconReader.Child(block, "auth");
        var flat = new[] { "auth-user", "auth-password-file", "auth-password-env" }.Where(n => HoconReader.Child(block, n) is not null).ToArray();
        if (nested is null && flat.Length == 0)
        {
            return inherited;
        }

        if (nested is not null && flat.Length > 0)
        {
            throw new RouterConfigException(HoconReader.Key(key, flat[0]), "set either auth { ... } or the auth-* keys, not both");
        }

        if (nested is not null)
        {
            // auth = off drops credentials inherited from firewall-defaults.
            if (nested.IsString())
            {
                return HoconReader.String(nested, authKey)?.Trim().ToLowerInvariant() is "off" or "none"
                    ? null
                    : throw new RouterConfigException(authKey, "expected { user = \"...\", password-file = \"...\" } or off");
            }

            var auth = HoconReader.Object(nested, authKey);
            foreach (var name in auth.Items.Keys)
            {
                if (!AuthBlockKeys.Contains(name))
                {
                    throw new RouterConfigException(HoconReader.Key(authKey, name), name == "password"
                        ? "a password is never read from the configuration; use password-file or password-env"
                        : $"unknown key; expected one of {string.Join(", ", AuthBlockKeys)}");
                }
            }

            return Credentials(
                HoconReader.Child(auth, "user"), $"{authKey}.user",
                HoconReader.Child(auth, "password-file"), $"{authKey}.password-file",
                HoconReader.Child(auth, "password-env"), $"{authKey}.password-env");
        }

        return Credentials(
            HoconReader.Child(block, "auth-user"), $"{key}.auth-user",
            HoconReader.Child(block, "auth-password-file"), $"{key}.auth-password-file",
            HoconReader.Child(block, "auth-password-env"), $"{key}.auth-password-env");
    }

    private static FirewallCredentials Credentials(
        HoconValue? userValue, string userKey, HoconValue? fileValue, string fileKey, HoconValue? envValue, string envKey)
    {
        var user = HoconReader.String(userValue, userKey);
        if (string.IsNullOrWhiteSpace(user))
        {
            throw new RouterConfigException(userKey, "is required with AUTH credentials: the user name to authenticate as");
        }

        if (user.Contains('\r') || user.Contains('\n'))
        {
            throw new RouterConfigException(userKey, "must be one line");
        }

        var file = HoconReader.String(fileValue, fileKey);
        var env = HoconReader.String(envValue, envKey);
        if ((file is null) == (env is null))
        {
            throw new RouterConfigException(file is null ? fileKey : envKey,
                file is null ? $"the password needs a source: set {fileKey} or {envKey}" : $"set {fileKey} or {envKey}, not both");
        }

        if (file is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(file.Trim());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RouterConfigException(fileKey, $"cannot read the password file \"{file}\": {e.Message}", e);
            }

            // An editor or `echo` leaves a line end after the secret; it is not part of it.
            var password = text.TrimEnd('\r', '\n');
            return password.Length > 0
                ? new FirewallCredentials(user.Trim(), password, $"file {file.Trim()}")
                : throw new RouterConfigException(fileKey, $"the password file \"{file}\" is empty");
        }

        var variable = env!.Trim();
        var secret = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(secret)
            ? throw new RouterConfigException(envKey, $"the environment variable {variable} is not set or empty")
            : new FirewallCredentials(user.Trim(), secret, $"env {variable}");
    }
}
