using Router.Messages.Delivery;
using Router.Messages.Queue;

namespace Router.Actors.Routing;

/// <summary>One part and where it stands.</summary>
/// <param name="Connector">The connector it is queued on (<see cref="PlacementState.Queued"/>), or held with (<see cref="PlacementState.Held"/>).</param>
/// <param name="NextAttempt">When a deferred part is due.</param>
public sealed record Placement(DeliveryJob Job, PlacementState State, string? Connector, DateTimeOffset? NextAttempt);

/// <summary>
/// The router's table of every part it placed and that is not finished: which state, which
/// connector, when due. Parked parts keep their arrival order (they are placed again oldest first).
/// Pure: no actors, no clock; the routing actor owns the one instance and its timers.
/// </summary>
public sealed class Placements
{
    private readonly Dictionary<string, Placement> _byKey = new(StringComparer.Ordinal);
    private readonly List<DeliveryJob> _parked = [];

    /// <summary>The identity of a part: its message and its recipients.</summary>
    public static string KeyOf(DeliveryJob job) => $"{job.QueueId}:{string.Join(',', job.RecipientIndexes)}";

    public int Count => _byKey.Count;

    public int ParkedCount => _parked.Count;

    /// <summary>The parked parts, oldest first.</summary>
    public IReadOnlyList<DeliveryJob> ParkedJobs => _parked;

    public Placement? Find(DeliveryJob job) => _byKey.GetValueOrDefault(KeyOf(job));

    public void Queued(DeliveryJob job, string connector) => Set(new Placement(job, PlacementState.Queued, connector, null));

    public void Deferred(DeliveryJob job, DateTimeOffset due) => Set(new Placement(job, PlacementState.Deferred, null, due));

    /// <summary>Held by an operator; <paramref name="connector"/> is the connector it stays with under a connector hold.</summary>
    public void Held(DeliveryJob job, string? connector) => Set(new Placement(job, PlacementState.Held, connector, null));

    public void HandingOver(DeliveryJob job) => Set(new Placement(job, PlacementState.HandingOver, null, null));

    public void Parked(DeliveryJob job)
    {
        Set(new Placement(job, PlacementState.Parked, null, null));
        _parked.Add(job);
    }

    /// <summary>Forgets a part (finished, or about to be placed again).</summary>
    public void Remove(DeliveryJob job)
    {
        if (_byKey.Remove(KeyOf(job), out var removed) && removed.State == PlacementState.Parked)
            _parked.RemoveAll(p => KeyOf(p) == KeyOf(job));
    }

    /// <summary>The parts in <paramref name="state"/>, of one message or all.</summary>
    public IReadOnlyList<Placement> InState(PlacementState state, string? queueId = null) =>
        _byKey.Values.Where(p => p.State == state && (queueId is null || p.Job.QueueId == queueId)).ToArray();

    /// <summary>Every part of one message, whatever its state.</summary>
    public IReadOnlyList<Placement> OfMessage(string queueId) => _byKey.Values.Where(p => p.Job.QueueId == queueId).ToArray();

    /// <summary>Takes the parked parts (of one message or all) out of the table, oldest first, to be placed again.</summary>
    public IReadOnlyList<DeliveryJob> TakeParked(string? queueId = null) => TakeParked(j => queueId is null || j.QueueId == queueId);

    /// <summary>Takes the parked parts that match out of the table, oldest first.</summary>
    public IReadOnlyList<DeliveryJob> TakeParked(Func<DeliveryJob, bool> which)
    {
        var taken = _parked.Where(which).ToArray();
        _parked.RemoveAll(j => which(j));
        foreach (var job in taken)
            _byKey.Remove(KeyOf(job));
        return taken;
    }

    /// <summary>Takes every part that matches out of the table (parked ones out of their order too).</summary>
    public IReadOnlyList<Placement> Take(Func<Placement, bool> which)
    {
        var taken = _byKey.Values.Where(which).ToArray();
        foreach (var placement in taken)
            Remove(placement.Job);
        return taken;
    }

    /// <summary>
    /// The operator's queue listing: every filter optional; a firewall filter keeps the parts queued on
    /// its connectors; an unknown state lists nothing. States are named as operators know them.
    /// </summary>
    public IReadOnlyList<QueueEntry> Listing(ListQueue query, IReadOnlyDictionary<string, IReadOnlyList<string>> firewallConnectors)
    {
        PlacementState? state = null;
        if (query.State is not null)
        {
            if (!PlacementStateNames.TryParse(query.State, out var parsed))
                return [];
            state = parsed;
        }
        IReadOnlyCollection<string>? connectors = query.Firewall is null ? null : firewallConnectors.GetValueOrDefault(query.Firewall) ?? [];
        return List(query.Connector, connectors, state, query.Sender)
            .Select(p => new QueueEntry(p.Job.QueueId, p.Job.Sender, p.Job.Recipients, p.State.Name(), p.Connector, p.NextAttempt, p.Job.Attempts))
            .ToArray();
    }

    /// <summary>Operator listing: every filter optional; <paramref name="connectors"/> limits queued parts to those connectors.</summary>
    public IReadOnlyList<Placement> List(string? connector, IReadOnlyCollection<string>? connectors, PlacementState? state, string? sender) =>
        _byKey.Values
            .Where(p => connector is null || p.Connector == connector)
            .Where(p => connectors is null || (p.Connector is not null && connectors.Contains(p.Connector)))
            .Where(p => state is null || p.State == state)
            .Where(p => sender is null || string.Equals(p.Job.Sender, sender, StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p.Job.QueueId, StringComparer.Ordinal)
            .ToArray();

    private void Set(Placement placement)
    {
        var key = KeyOf(placement.Job);
        if (_byKey.TryGetValue(key, out var before) && before.State == PlacementState.Parked)
            _parked.RemoveAll(p => KeyOf(p) == key);
        _byKey[key] = placement;
    }
}
