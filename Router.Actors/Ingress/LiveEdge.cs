using System.Security.Cryptography.X509Certificates;
using Router.Actors.Configuration;
using Router.Actors.Ingress.Auth;
using SmtpServer;

namespace Router.Actors.Ingress;

/// <summary>
/// The parts of the SMTP edge a configuration reload replaces without closing the listener: the
/// relay policy and limits (the mailbox filter), the store's limits, the AUTH users, the edge
/// security policy and the STARTTLS certificate. Each new session, and each STARTTLS, takes the
/// current ones; sessions in progress keep what they started with where they captured it.
/// </summary>
internal sealed class LiveEdge : ICertificateFactory
{
    /// <summary>One generation of the edge's settings and the objects built from them.</summary>
    /// <param name="Filters">Each listener's relay policy, by listener name (<see cref="SmtpOptions.EffectiveListeners"/>).</param>
    public sealed record Parts(SmtpOptions Smtp, IReadOnlyDictionary<string, RelayMailboxFilter> Filters, SmtpServer.Storage.IMessageStore Store,
        ConfiguredUserAuthenticator Authenticator, EdgeSecurityPolicy Security)
    {
        /// <summary>The listener's filter; a listener a reload cannot have removed (listener blocks are restart-only) has one.</summary>
        public RelayMailboxFilter FilterFor(string listener) =>
            Filters.TryGetValue(listener, out var filter) ? filter : Filters.Values.First();
    }

    private Parts _current;

    public LiveEdge(Parts initial) => _current = initial;

    public Parts Current => Volatile.Read(ref _current);

    public void Set(Parts parts) => Volatile.Write(ref _current, parts);

    /// <summary>STARTTLS: the certificate of the configuration in force when the client asks (a renewed one after a reload).</summary>
    public X509Certificate GetServerCertificate(ISessionContext sessionContext) =>
        Current.Smtp.Tls.Certificate ?? throw new InvalidOperationException("STARTTLS without a certificate");
}
