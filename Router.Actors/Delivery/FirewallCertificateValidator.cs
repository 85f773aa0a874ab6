using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Router.Actors.Configuration;

namespace Router.Actors.Delivery;

/// <summary>
/// Decides whether a firewall's TLS certificate is acceptable under its <c>tls</c> mode. Only <c>verify</c>
/// checks anything: the chain (to the system's roots, or only to <c>tls-ca-file</c> when set) and the name.
/// The other modes encrypt against passive eavesdropping and accept any certificate, as MTAs do.
/// </summary>
internal sealed class FirewallCertificateValidator
{
    private readonly FirewallTls _mode;
    private readonly X509Certificate2Collection? _anchors;

    public FirewallCertificateValidator(FirewallTls mode, X509Certificate2Collection? anchors)
    {
        _mode = mode;
        _anchors = anchors;
    }

    /// <summary>Why the last certificate was refused, for the attempt's detail; null when none was.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> handed to the SMTP client.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastFailure = Check(_mode, _anchors, certificate, chain, errors);
        return LastFailure is null;
    }

    /// <summary>Null when the certificate is acceptable, else why not.</summary>
    public static string? Check(FirewallTls mode, X509Certificate2Collection? anchors, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (mode != FirewallTls.Verify)
            return null;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the firewall presented no certificate";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the certificate ({certificate.Subject}) does not name the firewall (set tls-server-name when host is an IP address)";
        if (anchors is null)
        {
            return errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors)
                ? $"the certificate ({certificate.Subject}, issued by {certificate.Issuer}) is not trusted: {Describe(chain)}"
                : null;
        }

        // A pinned CA is the only trust anchor: the chain the system built is ignored, whatever it concluded.
        using var pinned = new X509Chain();
        pinned.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        pinned.ChainPolicy.CustomTrustStore.AddRange(anchors);
        pinned.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the firewall sent along.
            pinned.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (var element in chain.ChainElements)
                pinned.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        try
        {
            return pinned.Build(leaf)
                ? null
                : $"the certificate ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to tls-ca-file: {Describe(pinned)}";
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
                leaf.Dispose();
        }
    }

    private static string Describe(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "chain errors"
            : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
}
