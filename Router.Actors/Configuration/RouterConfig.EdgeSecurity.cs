using Router.Actors.Ingress.Auth;
using Router.Actors.Ingress.Tls;

namespace Router.Actors.Configuration;

/// <summary><c>router.smtp.tls</c> and <c>router.smtp.auth</c>: STARTTLS and SMTP AUTH on the listener.</summary>
public static partial class RouterConfig
{
    private const string TlsKey = Root + ".smtp.tls";
    private const string AuthKey = Root + ".smtp.auth";

    private static SmtpTlsOptions ReadSmtpTls(HoconReader reader)
    {
        var certificateKey = $"{TlsKey}.certificate";
        var keyKey = $"{TlsKey}.key";
        var passwordKey = $"{TlsKey}.password";
        var requiredKey = $"{TlsKey}.required";
        var certificatePath = NonEmpty(HoconReader.String(reader.At(certificateKey), certificateKey));
        var keyPath = NonEmpty(HoconReader.String(reader.At(keyKey), keyKey));
        var password = HoconReader.String(reader.At(passwordKey), passwordKey);
        var required = Flag(reader, requiredKey, fallback: false);
        var handshakeTimeout = Positive(reader, $"{TlsKey}.handshake-timeout", new SmtpTlsOptions().HandshakeTimeout);

        if (certificatePath is null)
        {
            if (keyPath is not null)
                throw new RouterConfigException(keyKey, $"is set but {certificateKey} is not");
            if (required)
                throw new RouterConfigException(requiredKey, $"STARTTLS cannot be required without a certificate; set {certificateKey}");
            return new SmtpTlsOptions { HandshakeTimeout = handshakeTimeout };
        }

        return new SmtpTlsOptions
        {
            Certificate = ServerCertificate.Load(certificatePath, keyPath, password, certificateKey, keyKey),
            CertificatePath = certificatePath,
            Required = required,
            HandshakeTimeout = handshakeTimeout,
        };
    }

    private static SmtpAuthOptions ReadSmtpAuth(HoconReader reader)
    {
        var defaults = new SmtpAuthOptions();
        var usersKey = $"{AuthKey}.users";
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        foreach (var (name, value) in HoconReader.Entries(reader.At(usersKey), usersKey))
        {
            var key = HoconReader.Key(usersKey, name);
            if (name.Length == 0 || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                throw new RouterConfigException(key, "a user name must not be empty or contain spaces or control characters");
            var text = HoconReader.RequiredString(value, key);
            if (!PasswordHash.TryParse(text, out var hash, out var error))
                throw new RouterConfigException(key, error);
            users[name] = hash;
        }

        return new SmtpAuthOptions
        {
            Users = users,
            AllowInsecure = Flag(reader, $"{AuthKey}.allow-insecure", defaults.AllowInsecure),
            MaxFailures = AtLeastOne(reader, $"{AuthKey}.max-failures", defaults.MaxFailures),
            MaxFailuresPerClient = AtLeastOne(reader, $"{AuthKey}.max-failures-per-client", defaults.MaxFailuresPerClient),
            FailureWindow = Positive(reader, $"{AuthKey}.failure-window", defaults.FailureWindow),
        };
    }

    private static bool Flag(HoconReader reader, string key, bool fallback) =>
        HoconReader.String(reader.At(key), key)?.Trim().ToLowerInvariant() switch
        {
            null => fallback,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new RouterConfigException(key, $"expected on or off, got \"{other}\""),
        };

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
