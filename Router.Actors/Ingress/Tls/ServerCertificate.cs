using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Router.Actors.Configuration;

namespace Router.Actors.Ingress.Tls;

/// <summary>
/// Loads the listener's STARTTLS certificate with its private key: PEM (certificate file plus key
/// file, or both in one file; the key may be encrypted) or PKCS#12 (.pfx/.p12, optionally with a
/// password). Every failure is a <see cref="RouterConfigException"/> naming the key at fault.
/// </summary>
public static class ServerCertificate
{
    public static X509Certificate2 Load(string certificatePath, string? keyPath, string? password, string certificateKey, string keyKey)
    {
        var bytes = Read(certificatePath, certificateKey);
        if (keyPath is not null)
            Read(keyPath, keyKey);

        X509Certificate2 certificate;
        if (IsPem(bytes))
        {
            try
            {
                // A key in the certificate file itself is found when no key file is given.
                using var pem = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
                // Re-imported through PKCS#12 so that the key is not ephemeral: SslStream on
                // Windows refuses ephemeral server keys.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (CryptographicException e)
            {
                throw new RouterConfigException(keyPath is null ? certificateKey : keyKey,
                    $"cannot load the PEM certificate and private key: {FirstLine(e.Message)}", e);
            }
        }
        else
        {
            if (keyPath is not null)
                throw new RouterConfigException(keyKey, "a PKCS#12 (.pfx) certificate carries its own key; remove the key setting");
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, string.IsNullOrEmpty(password) ? null : password);
            }
            catch (CryptographicException e)
            {
                throw new RouterConfigException(certificateKey,
                    $"cannot load \"{certificatePath}\" as PKCS#12 (wrong password?): {FirstLine(e.Message)}", e);
            }
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new RouterConfigException(certificateKey, $"\"{certificatePath}\" has no private key; give it in the key setting");
        }
        return certificate;
    }

    private static byte[] Read(string path, string key)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RouterConfigException(key, $"cannot read \"{path}\": {FirstLine(e.Message)}", e);
        }
    }

    private static bool IsPem(byte[] bytes) =>
        Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024)).Contains("-----BEGIN", StringComparison.Ordinal);

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
