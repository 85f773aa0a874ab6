using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Router.Actors.Configuration;

/// <summary>Reads <c>router.cluster.bootstrap</c>: Cluster Bootstrap through Akka.Management and Akka.Discovery instead of seed nodes.</summary>
internal static partial class BootstrapConfigReader
{
    private const string ClusterKey = RouterConfig.Root + ".cluster";
    private const string BootstrapKey = ClusterKey + ".bootstrap";

    public static BootstrapSettings Read(HoconReader reader, bool clusterEnabled, bool hasSeedNodes, int clusterPort)
    {
        var defaults = new BootstrapSettings();
        var enabledKey = $"{BootstrapKey}.enabled";
        var enabled = ConfigRules.Switch(reader.At(enabledKey), enabledKey, defaults.Enabled);
        if (enabled && !clusterEnabled)
        {
            throw new RouterConfigException(enabledKey, $"needs {ClusterKey}.enabled = on");
        }

        if (enabled && hasSeedNodes)
        {
            throw new RouterConfigException($"{ClusterKey}.seed-nodes", $"must be empty when {enabledKey} is on: Cluster Bootstrap finds the nodes");
        }

        var discoveryKey = $"{BootstrapKey}.discovery";
        var discovery = HoconReader.String(reader.At(discoveryKey), discoveryKey)?.Trim().ToLowerInvariant() switch
        {
            null => defaults.Discovery,
            "config" => DiscoveryMethod.Config,
            "kubernetes" => DiscoveryMethod.Kubernetes,
            var other => throw new RouterConfigException(discoveryKey, $"expected config or kubernetes, got \"{other}\""),
        };

        var serviceKey = $"{BootstrapKey}.service-name";
        var serviceName = HoconReader.String(reader.At(serviceKey), serviceKey)?.Trim() ?? defaults.ServiceName;
        if (!DnsLabel().IsMatch(serviceName))
        {
            // It is a HOCON key in config discovery and a label value in Kubernetes: no dots, no spaces.
            throw new RouterConfigException(serviceKey, $"\"{serviceName}\" is not a valid service name: use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit");
        }

        var requiredKey = $"{BootstrapKey}.required-contact-points";
        var required = ConfigRules.AtLeastOne(reader.At(requiredKey), requiredKey, defaults.RequiredContactPoints);

        var (managementHost, managementPublicHost, managementPort) = ReadManagement(reader, enabled, clusterPort);

        var endpoints = new List<string>();
        var endpointsKey = $"{BootstrapKey}.config.endpoints";
        foreach (var (text, itemKey) in HoconReader.StringList(reader.At(endpointsKey), endpointsKey))
        {
            endpoints.Add(ManagementEndpoint(text.Trim(), itemKey));
        }

        if (enabled && discovery == DiscoveryMethod.Config)
        {
            if (endpoints.Count == 0)
            {
                throw new RouterConfigException(endpointsKey, "must list every node's management endpoint (host:port) when discovery = config");
            }

            if (endpoints.Count < required)
            {
                throw new RouterConfigException(requiredKey, $"{required} is more than the {endpoints.Count} endpoint(s) in {endpointsKey}: the cluster could never form");
            }
        }

        var selectorKey = $"{BootstrapKey}.kubernetes.pod-label-selector";
        var selector = HoconReader.String(reader.At(selectorKey), selectorKey)?.Trim() ?? defaults.PodLabelSelector;
        if (selector.Length == 0)
        {
            throw new RouterConfigException(selectorKey, "must select the pods of this cluster, such as app={0}");
        }

        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, selector, serviceName);
        }
        catch (FormatException)
        {
            throw new RouterConfigException(selectorKey, $"\"{selector}\" is not a selector such as app={{0}} ({{0}} stands for the service name; write other braces twice)");
        }

        var namespaceKey = $"{BootstrapKey}.kubernetes.pod-namespace";
        var podNamespace = HoconReader.String(reader.At(namespaceKey), namespaceKey)?.Trim();
        if (string.IsNullOrEmpty(podNamespace))
        {
            podNamespace = null;
        }
        else if (!DnsLabel().IsMatch(podNamespace))
        {
            throw new RouterConfigException(namespaceKey, $"\"{podNamespace}\" is not a Kubernetes namespace name");
        }

        return new BootstrapSettings
        {
            Enabled = enabled,
            Discovery = discovery,
            ServiceName = serviceName,
            RequiredContactPoints = required,
            ManagementHostname = managementHost,
            ManagementPublicHostname = managementPublicHost,
            ManagementPort = managementPort,
            ConfigEndpoints = endpoints,
            PodLabelSelector = selector,
            PodNamespace = podNamespace,
        };
    }

    private static (string Hostname, string? PublicHostname, int Port) ReadManagement(HoconReader reader, bool enabled, int clusterPort)
    {
        const string key = BootstrapKey + ".management";
        var defaults = new BootstrapSettings();

        var hostnameKey = $"{key}.hostname";
        var hostname = HoconReader.String(reader.At(hostnameKey), hostnameKey)?.Trim() ?? defaults.ManagementHostname;
        if (!ConfigRules.IsHost(hostname))
        {
            throw new RouterConfigException(hostnameKey, $"\"{hostname}\" is not an IP address or host name");
        }

        var publicKey = $"{key}.public-hostname";
        var publicHostname = HoconReader.String(reader.At(publicKey), publicKey)?.Trim();
        if (string.IsNullOrEmpty(publicHostname))
        {
            publicHostname = null;
        }
        else if (!ConfigRules.IsHost(publicHostname))
        {
            throw new RouterConfigException(publicKey, $"\"{publicHostname}\" is not an IP address or host name");
        }

        // A node recognises itself among the discovered endpoints by its advertised name and port; an address
        // that binds every interface is no name anyone can find it by.
        if (enabled && publicHostname is null && IPAddress.TryParse(hostname, out var bound)
            && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
        {
            throw new RouterConfigException(publicKey, $"is required when {hostnameKey} ({hostname}) binds every address: the name or IP the other nodes discover this one by");
        }

        var portKey = $"{key}.port";
        var port = HoconReader.Int(reader.At(portKey), portKey, defaults.ManagementPort);
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw new RouterConfigException(portKey, $"{port} is out of range 0-{IPEndPoint.MaxPort}");
        }

        if (enabled && port == 0)
        {
            // Akka.Management advertises the configured port, not the one bound, so with 0 no node would find itself.
            throw new RouterConfigException(portKey, "0 cannot be used with Cluster Bootstrap: the other nodes find this one by a known port");
        }

        if (enabled && port == clusterPort)
        {
            throw new RouterConfigException(portKey, $"{port} is also {ClusterKey}.port (remoting); the management endpoint needs a port of its own");
        }

        return (hostname, publicHostname, port);
    }

    /// <summary>A management endpoint of config discovery: <c>host:port</c> or <c>[ipv6]:port</c>, port 1-65535.</summary>
    private static string ManagementEndpoint(string text, string key)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : string.Empty;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (colon <= 0 || !ConfigRules.IsHost(host)
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > IPEndPoint.MaxPort)
        {
            throw new RouterConfigException(key, $"\"{text}\" is not a management endpoint such as 10.0.0.1:8558 or node1.example:8558");
        }

        return text;
    }

    // A DNS label (RFC 1123), which is also what Kubernetes allows for a label value and a namespace.
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
