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
    /// <summary>
    /// The time constant of each connector's pace: jobs finished per second, every finish counted with a weight that
    /// halves in about <c>0.7 ×</c> this, so the pace follows a firewall that slows down or recovers within seconds.
    /// </summary>
    public static readonly TimeSpan PaceWindow = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, (ConnectorLoad Reported, long Sent)> _loads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double Rate, DateTimeOffset At)> _paces = new(StringComparer.Ordinal);
    // When each connector that never finished a job was last sent one while it held none.
    private readonly Dictionary<string, DateTimeOffset> _busySince = new(StringComparer.Ordinal);

    /// <summary>The router sent the connector one <see cref="EnqueueJob"/> (at <paramref name="now"/>, when the caller keeps time).</summary>
    public void Sent(string connector, DateTimeOffset? now = null)
    {
        if (now is { } at && Of(connector) == 0)
            _busySince[connector] = at;
        var (reported, sent) = _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0));
        _loads[connector] = (reported, sent + 1);
    }

    /// <summary>The connector reported its load (its messages arrive in the order it sent them: the latest report is the truth).</summary>
    public void Reported(string connector, ConnectorLoad load) =>
        _loads[connector] = (load, _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0)).Sent);

    /// <summary>A job left the connector finished (its firewall answered for every recipient): one more for its pace.</summary>
    public void Finished(string connector, DateTimeOffset now)
    {
        _paces[connector] = (PaceAt(connector, now) + 1 / PaceWindow.TotalSeconds, now);
        _busySince.Remove(connector);
    }

    /// <summary>Jobs the connector finished per second lately (0 when none lately).</summary>
    public double PaceAt(string connector, DateTimeOffset now)
    {
        if (!_paces.TryGetValue(connector, out var pace))
            return 0;
        var elapsed = Math.Max(0, (now - pace.At).TotalSeconds);
        return pace.Rate * Math.Exp(-elapsed / PaceWindow.TotalSeconds);
    }

    /// <summary>
    /// How long the connector would take to finish the jobs it has at the pace it finished jobs lately: 0 when it has
    /// none (an idle connector is always worth a job). One that holds jobs and has finished none for a while is as slow
    /// as that says: its pace fades, its estimate grows. One that never finished a job has held its jobs for so long
    /// without finishing one, so its pace is at most one per that time (a firewall that takes seconds a message gets a
    /// few jobs, not as many as a fast one holds, before its first answer); null when even that is not known (a caller
    /// that keeps no time). Two firewalls of equal cost can differ a hundredfold in speed (a loaded content scanner):
    /// a count of jobs alone would queue as many behind the slow one as behind the fast one.
    /// </summary>
    public double? DrainSeconds(string connector, DateTimeOffset now)
    {
        var load = Of(connector);
        if (load == 0)
            return 0;
        if (_paces.ContainsKey(connector))
            return load / Math.Max(PaceAt(connector, now), 1e-9);
        if (_busySince.TryGetValue(connector, out var since))
            return load * Math.Max((now - since).TotalSeconds, 0.001);
        return null;
    }

    /// <summary>Jobs on the connector now: taken and unfinished, plus those still on their way to it.</summary>
    public int Of(string connector)
    {
        var (reported, sent) = _loads.GetValueOrDefault(connector, (ConnectorLoad.None, 0));
        return reported.Backlog + (int)Math.Max(0, sent - reported.Enqueued);
    }
}
