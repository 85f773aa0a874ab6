using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// The router's view of each connector's load without a second count: the load the connector
/// last reported (it owns its backlog) plus the jobs the router placed there that the connector
/// had not yet taken when it reported. Every report replaces the last, so the view cannot drift.
/// Pure: the routing actor tells it what it sent and what it was told.
/// </summary>
public sealed class ConnectorLoads
{
    private readonly Dictionary<string, (ConnectorLoad Reported, long Sent)> _loads = new(StringComparer.Ordinal);

    /// <summary>The router sent the connector one <see cref="EnqueueJob"/>.</summary>
    public void Sent(string connector)
    {
        var (reported, sent) = _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0));
        _loads[connector] = (reported, sent + 1);
    }

    /// <summary>The connector reported its load (its messages arrive in the order it sent them: the latest report is the truth).</summary>
    public void Reported(string connector, ConnectorLoad load) =>
        _loads[connector] = (load, _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0)).Sent);

    /// <summary>Jobs on the connector now: taken and unfinished, plus those still on their way to it.</summary>
    public int Of(string connector)
    {
        var (reported, sent) = _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0));
        return reported.Backlog + (int)Math.Max(0, sent - reported.Enqueued);
    }
}
