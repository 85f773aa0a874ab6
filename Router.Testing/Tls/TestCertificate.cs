using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Router.Testing.Tls;

/// <summary>
/// A self-signed server certificate for router.test, written to a temporary folder as PEM
/// (certificate and key in two files) and as a password-protected PKCS#12 file.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    public const string PfxPassword = "pfx-secret";

    private TestCertificate(string folder, string thumbprint)
    {
        Folder = folder;
        Thumbprint = thumbprint;
    }

    public string Folder { get; }
    public string Thumbprint { get; }
    public string CertificatePem => Path.Combine(Folder, "router.crt.pem");
    public string KeyPem => Path.Combine(Folder, "router.key.pem");
    public string Pfx => Path.Combine(Folder, "router.pfx");

    /// <summary>`tls { ... }` settings for the PEM pair.</summary>
    public string PemSettings(bool required = false) =>
        $"tls {{ certificate = \"{CertificatePem}\", key = \"{KeyPem}\", required = {(required ? "on" : "off")} }}";

    /// <summary>`tls { ... }` settings for the PKCS#12 file.</summary>
    public string PfxSettings() => $"tls {{ certificate = \"{Pfx}\", password = \"{PfxPassword}\" }}";

    public static TestCertificate Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "router-tests", "cert-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=router.test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("router.test");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        var created = new TestCertificate(folder, certificate.Thumbprint);
        File.WriteAllText(created.CertificatePem, certificate.ExportCertificatePem());
        File.WriteAllText(created.KeyPem, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(created.Pfx, certificate.Export(X509ContentType.Pfx, PfxPassword));
        return created;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
