using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Delivery.Dns;

namespace Router.Node.Hosting;

/// <summary>
/// Resolves the firewall pools' host names once before the actors start (registered before Akka, so it runs first),
/// so that the node starts with every pool's members. A name that cannot be resolved now starts as one firewall under
/// its own id and becomes a pool when <see cref="DnsPoolActor"/> resolves it. Nothing is asked when every firewall is
/// an IP address.
/// </summary>
internal sealed class InitialPools(RouterOptions options, PoolResolver resolver, ILogger<InitialPools> log) : IHostedService
{
    public IReadOnlyDictionary<string, PoolResolution> Table { get; private set; } = FirewallPools.None;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var names = FirewallPools.Names(options);
        if (names.Count == 0)
            return;
        var results = await Task.WhenAll(names.Select(async name =>
        {
            try
            {
                var resolution = await resolver.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
                log.LogInformation("Firewall pool {Host}: {Count} address(es) {Members} (TTL {Ttl}, from {Source})", name, resolution.Addresses.Count,
                    resolution.Addresses.Count == 0 ? "none" : string.Join(", ", resolution.Addresses), resolution.Ttl, resolution.Source);
                return (name, resolution);
            }
            catch (PoolLookupException ex)
            {
                log.LogWarning("Firewall pool {Host}: {Error}; it starts as one firewall that resolves the name at each connection, and becomes a pool once the lookup succeeds",
                    name, ex.Message);
                return (name, (PoolResolution?)null);
            }
        })).ConfigureAwait(false);
        Table = results.Where(r => r.Item2 is { Addresses.Count: > 0 }).ToDictionary(r => r.name, r => r.Item2!, StringComparer.Ordinal);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
