using System.Net;
using System.Text.Json;
using Akka.Discovery;

namespace Router.Node.Hosting;

/// <summary>
/// Reads a Kubernetes pod list (<c>GET /api/v1/namespaces/{ns}/pods</c>) into discovery targets: the running pods
/// that are not being deleted and have an IP, each with the container port of the requested name. Pure: no HTTP.
/// </summary>
internal static class KubernetesPods
{
    public static IReadOnlyList<ServiceDiscovery.ResolvedTarget> Targets(JsonElement podList, string? portName)
    {
        var targets = new List<ServiceDiscovery.ResolvedTarget>();
        if (!podList.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            return targets;

        foreach (var pod in items.EnumerateArray())
        {
            if (pod.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("deletionTimestamp", out var deleting)
                && deleting.ValueKind != JsonValueKind.Null)
                continue;
            if (!pod.TryGetProperty("status", out var status)
                || !string.Equals(Text(status, "phase"), "Running", StringComparison.OrdinalIgnoreCase)
                || !IPAddress.TryParse(Text(status, "podIP"), out var ip))
                continue;

            var port = portName is null ? null : ContainerPort(pod, portName);
            // Asked for a named port that this pod does not have: it is not one of ours to probe.
            if (portName is not null && port is null)
                continue;
            targets.Add(new ServiceDiscovery.ResolvedTarget(ip.ToString(), port, ip));
        }

        return targets;
    }

    private static int? ContainerPort(JsonElement pod, string portName)
    {
        if (!pod.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("containers", out var containers))
            return null;
        foreach (var container in containers.EnumerateArray())
        {
            if (!container.TryGetProperty("ports", out var ports))
                continue;
            foreach (var port in ports.EnumerateArray())
            {
                if (Text(port, "name") == portName && port.TryGetProperty("containerPort", out var number) && number.TryGetInt32(out var value))
                    return value;
            }
        }

        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
