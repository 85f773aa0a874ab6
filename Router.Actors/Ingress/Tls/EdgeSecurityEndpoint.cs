using Router.Actors.Configuration;
using SmtpServer;

namespace Router.Actors.Ingress.Tls;

/// <summary>The listener endpoint settings of STARTTLS and AUTH.</summary>
internal static class EdgeSecurityEndpoint
{
    /// <param name="certificates">Gives each STARTTLS the certificate in force then (a reload may renew it).</param>
    public static EndpointDefinitionBuilder WithEdgeSecurity(this EndpointDefinitionBuilder endpoint, SmtpOptions smtp, ICertificateFactory certificates,
        SmtpListenerOptions listener)
    {
        // STARTTLS is offered (EHLO) and accepted only when a certificate is set.
        if (smtp.Tls.Certificate is not null)
            endpoint.Certificate(certificates).SupportedSslProtocols(SmtpTlsOptions.Protocols);
        // Before TLS the library refuses AUTH unless this is set; the router's own policy
        // (EdgeSecurityPolicy) has already answered such an AUTH with 538 5.7.11 by then.
        return endpoint.AllowUnsecureAuthentication(smtp.AuthAllowInsecureOn(listener) && !smtp.TlsRequiredOn(listener));
    }

    /// <summary>One line per listener start that says what the edge offers.</summary>
    public static IEnumerable<string> Describe(SmtpOptions smtp, DateTimeOffset now)
    {
        if (smtp.Tls.Certificate is { } certificate)
        {
            yield return $"STARTTLS offered (TLS 1.2, 1.3{(smtp.Tls.Required ? ", required before MAIL" : string.Empty)}) with {certificate.Subject} from {smtp.Tls.CertificatePath}, valid until {certificate.NotAfter:u}";
            if (certificate.NotAfter < now.LocalDateTime || certificate.NotBefore > now.LocalDateTime)
                yield return $"WARNING: the STARTTLS certificate {certificate.Subject} is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u})";
        }
        if (smtp.Auth.Enabled)
            yield return $"SMTP AUTH (PLAIN, LOGIN) offered for {smtp.Auth.Users.Count} user(s){(smtp.Auth.AllowInsecure && !smtp.Tls.Required ? ", also without TLS" : ", after STARTTLS only")}";
    }
}
