using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery;
using Akka.Event;

namespace Router.Node.Hosting;

/// <summary>
/// Akka.Discovery through the Kubernetes API (<c>router.cluster.bootstrap.discovery = kubernetes</c>): lists the pods
/// of the pod's own namespace (or <c>pod-namespace</c>) that match the label selector, with the service account's
/// token, trusting only the cluster's CA. Ours rather than Akka.Discovery.KubernetesApi 1.5.73, which is built
/// against KubernetesClient 17 and fails with MissingMethodException on the pod list call with the only versions
/// served here (19 and later). Configured at <c>akka.discovery.kubernetes-pods</c> (<see cref="ConfigPath"/>).
/// </summary>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    public const string MethodName = "kubernetes-pods";
    public const string ConfigPath = "akka.discovery." + MethodName;

    private readonly ILoggingAdapter _log;
    private readonly Uri _api;
    private readonly string _tokenPath;
    private readonly string _namespacePath;
    private readonly string? _namespace;
    private readonly string _selector;
    // One per actor system, like the discovery itself.
    private readonly HttpClient _http;

    public KubernetesPodDiscovery(ExtendedActorSystem system, Config config)
    {
        _log = Logging.GetLogger(system, typeof(KubernetesPodDiscovery));
        _api = ApiUri(config.GetString("api-url", string.Empty));
        _tokenPath = config.GetString("token-path");
        _namespacePath = config.GetString("namespace-path");
        var podNamespace = config.GetString("pod-namespace", string.Empty);
        _namespace = string.IsNullOrWhiteSpace(podNamespace) ? null : podNamespace.Trim();
        _selector = config.GetString("pod-label-selector");
        var ca = LoadCa(config.GetString("ca-path"));
        _http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, ca) },
        });
    }

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        var podNamespace = _namespace ?? ReadTrimmed(_namespacePath) ?? "default";
        var selector = string.Format(CultureInfo.InvariantCulture, _selector, lookup.ServiceName);
        var uri = new Uri(_api, $"api/v1/namespaces/{Uri.EscapeDataString(podNamespace)}/pods?labelSelector={Uri.EscapeDataString(selector)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        // Read at every lookup: Kubernetes rotates projected service account tokens.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(_tokenPath)).Trim());
        using var timeout = new CancellationTokenSource(resolveTimeout);
        using var response = await _http.SendAsync(request, timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"Kubernetes API {uri} answered {(int)response.StatusCode} {response.ReasonPhrase} (may the pod's service account list pods? see deploy/kubernetes/rbac.yaml)");
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var pods = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
        var targets = KubernetesPods.Targets(pods.RootElement, lookup.PortName);
        _log.Debug("Pods in {0} matching [{1}] with port [{2}]: {3}", podNamespace, selector, lookup.PortName, string.Join(", ", targets));
        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>The API server: <c>api-url</c> when set (tests, out-of-cluster), else the in-cluster service from the environment.</summary>
    private static Uri ApiUri(string configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return new Uri(configured.TrimEnd('/') + "/");
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")
            ?? throw new InvalidOperationException("KUBERNETES_SERVICE_HOST is not set: not running in a Kubernetes pod (set akka.discovery.kubernetes-pods.api-url to run elsewhere)");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        return new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/");
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return certificates;
    }

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    private static string? ReadTrimmed(string path) =>
        File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text ? text : null;
}
