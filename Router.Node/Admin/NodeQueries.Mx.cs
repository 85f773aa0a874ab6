using Akka.Actor;
using Router.Actors.Configuration;
using Router.Actors.Cluster.Peers;
using Router.Actors.Routing;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Node.Admin;

/// <summary>The firewalls MX connectors made for the MX hosts they found (issue 20), for the firewall and connector listings.</summary>
public sealed partial class NodeQueries
{
    /// <summary>The firewalls this node's MX connectors made for the MX hosts they found (only <paramref name="id"/>'s when given).</summary>
    private async Task<IReadOnlyList<FirewallView>> MxSnapshotsAsync(string? id, CancellationToken cancellationToken)
    {
        var views = new List<FirewallView>();
        foreach (var (connector, made) in await MxFirewallsAsync(cancellationToken))
        {
            if (id is not null && !id.StartsWith($"{connector}:", StringComparison.Ordinal))
                continue;
            foreach (var (firewall, actor) in made.Firewalls.Where(f => id is null || f.Options.Id == id))
            {
                var snapshot = await AskAsync<FirewallSnapshot>(actor, GetFirewallSnapshot.Instance, $"firewall {firewall.Id}", cancellationToken);
                views.Add(View(firewall, snapshot) with { Connectors = [connector] });
            }
        }
        return views;
    }

    /// <summary>Each MX connector of this node and the firewalls it has made (a connector that does not answer is left out).</summary>
    private async Task<IReadOnlyList<(string Connector, ConnectorActor.MxFirewalls Made)>> MxFirewallsAsync(CancellationToken cancellationToken)
    {
        var found = new List<(string, ConnectorActor.MxFirewalls)>();
        foreach (var connector in options.Connectors.Where(c => c.Mx is not null))
        {
            try
            {
                found.Add((connector.Id, await system.ActorSelection($"/user/connector-{connector.Id}")
                    .Ask<ConnectorActor.MxFirewalls>(ConnectorActor.GetMxFirewalls.Instance, AskTimeout, cancellationToken)));
            }
            catch (Exception e) when (e is ActorNotFoundException or AskTimeoutException or TimeoutException)
            {
            }
        }
        return found;
    }
}
