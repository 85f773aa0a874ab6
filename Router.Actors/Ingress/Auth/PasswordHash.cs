using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Router.Actors.Ingress.Auth;

/// <summary>
/// A salted PBKDF2-HMAC-SHA256 password hash as it is written in the configuration:
/// <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt, base64&gt;$&lt;hash, base64&gt;</c>. The router never stores or
/// compares a plain password; <c>router hash-password</c> prints these strings.
/// </summary>
public sealed class PasswordHash
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256; what <c>router hash-password</c> uses unless told otherwise.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Fewer iterations than this are refused: such a hash is too cheap to brute-force.</summary>
    public const int MinIterations = 10_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public int Iterations { get; }

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(iterations, salt, Derive(password, salt, iterations, HashBytes));
    }

    /// <summary>Parses the configuration form; <paramref name="error"/> says what is wrong without echoing the text.</summary>
    public static bool TryParse(string text, out PasswordHash hash, out string error)
    {
        hash = null!;
        var parts = text.Trim().Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            error = $"expected \"{Scheme}$<iterations>$<salt>$<hash>\" as printed by `router hash-password`, never a plain password";
            return false;
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < MinIterations)
        {
            error = $"the iteration count must be a whole number of at least {MinIterations}";
            return false;
        }
        var salt = FromBase64(parts[2]);
        var derived = FromBase64(parts[3]);
        if (salt is not { Length: >= 8 } || derived is not { Length: >= 16 })
        {
            error = "the salt (at least 8 bytes) and the hash (at least 16 bytes) must be base64";
            return false;
        }
        hash = new PasswordHash(iterations, salt, derived);
        error = string.Empty;
        return true;
    }

    /// <summary>Whether <paramref name="password"/> is the one this hash was made from (constant-time comparison).</summary>
    public bool Verify(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var candidate = Derive(password, _salt, Iterations, _hash.Length);
        return CryptographicOperations.FixedTimeEquals(candidate, _hash);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(_salt)}${Convert.ToBase64String(_hash)}");

    private static byte[] Derive(string password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);

    private static byte[]? FromBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
