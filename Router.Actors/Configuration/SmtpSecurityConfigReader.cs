using Router.Actors.Ingress.Auth;
using Router.Actors.Ingress.Tls;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.smtp.tls</c> and <c>router.smtp.auth</c>: STARTTLS and SMTP AUTH on the listener.</summary>
internal static class SmtpSecurityConfigReader
{
    private const string TlsKey = SmtpConfigReader.Key + ".tls";
    private const string AuthKey = SmtpConfigReader.Key + ".auth";

    public static SmtpTlsOptions ReadTls(HoconReader reader, ConfigErrors errors)
    {
        var certificateKey = $"{TlsKey}.certificate";
        var keyKey = $"{TlsKey}.key";
        var passwordKey = $"{TlsKey}.password";
        var requiredKey = $"{TlsKey}.required";
        var certificatePath = errors.Read(() => NonEmpty(HoconReader.String(reader.At(certificateKey), certificateKey)), null);
        var keyPath = errors.Read(() => NonEmpty(HoconReader.String(reader.At(keyKey), keyKey)), null);
        var password = errors.Read(() => HoconReader.String(reader.At(passwordKey), passwordKey), null);
        var required = errors.Read(() => ConfigRules.Switch(reader, requiredKey), false);
        var handshakeTimeout = errors.Read(() => ConfigRules.Positive(reader, $"{TlsKey}.handshake-timeout"), TimeSpan.MaxValue);

        if (certificatePath is null)
        {
            if (keyPath is not null)
                errors.Add(keyKey, $"is set but {certificateKey} is not");
            if (required)
                errors.Add(requiredKey, $"STARTTLS cannot be required without a certificate; set {certificateKey}");
            return new SmtpTlsOptions { HandshakeTimeout = handshakeTimeout };
        }

        return new SmtpTlsOptions
        {
            Certificate = errors.Read(() => ServerCertificate.Load(certificatePath, keyPath, password, certificateKey, keyKey), null),
            CertificatePath = certificatePath,
            Required = required,
            HandshakeTimeout = handshakeTimeout,
        };
    }

    public static SmtpAuthOptions ReadAuth(HoconReader reader, ConfigErrors errors)
    {
        var usersKey = $"{AuthKey}.users";
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        foreach (var (name, value) in errors.Read(() => HoconReader.Entries(reader.At(usersKey), usersKey), []))
        {
            var key = HoconReader.Key(usersKey, name);
            errors.Check(() =>
            {
                if (name.Length == 0 || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                    throw new RouterConfigException(key, "a user name must not be empty or contain spaces or control characters");
                var text = HoconReader.RequiredString(value, key);
                if (!PasswordHash.TryParse(text, out var hash, out var error))
                    throw new RouterConfigException(key, error);
                users[name] = hash;
            });
        }

        return new SmtpAuthOptions
        {
            Users = users,
            AllowInsecure = errors.Read(() => ConfigRules.Switch(reader, $"{AuthKey}.allow-insecure"), false),
            MaxFailures = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{AuthKey}.max-failures"), 1),
            MaxFailuresPerClient = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{AuthKey}.max-failures-per-client"), 1),
            FailureWindow = errors.Read(() => ConfigRules.Positive(reader, $"{AuthKey}.failure-window"), TimeSpan.MaxValue),
        };
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
