using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>
/// Splits a spooled message into delivery jobs, one per distinct route of its recipients. Each
/// job is tracked and finished on its own.
/// </summary>
public static class MessageSplitter
{
    /// <summary>
    /// Returns one job per route. Recipients with no route at all (the address spaces changed since
    /// the message was accepted) come back in <paramref name="unroutable"/>.
    /// </summary>
    public static IReadOnlyList<(DeliveryJob Job, RoutePlan Plan)> Split(
        MessageSpooled message, AddressSpaceTable table, out IReadOnlyList<int> unroutable)
    {
        var groups = new Dictionary<string, (RoutePlan Plan, List<int> Indexes)>(StringComparer.Ordinal);
        var noRoute = new List<int>();
        foreach (var index in message.PendingRecipients)
        {
            var tiers = table.Resolve(AddressSpaceTable.DomainOf(message.Envelope.Recipients[index]));
            if (tiers.Count == 0)
            {
                noRoute.Add(index);
                continue;
            }
            var plan = RoutePlan.From(tiers);
            if (!groups.TryGetValue(plan.Key, out var group))
                groups[plan.Key] = group = (plan, []);
            group.Indexes.Add(index);
        }

        unroutable = noRoute;
        return groups.Values
            .Select(g => (new DeliveryJob(
                message.QueueId,
                message.Envelope.Sender,
                g.Indexes,
                g.Indexes.Select(i => message.Envelope.Recipients[i]).ToArray(),
                message.Length,
                g.Plan.Key,
                Attempts: 0)
            {
                ReceivedAt = message.Envelope.ReceivedAt,
                Deferrals = message.Deferrals,
                Notify = message.Envelope.RecipientOptions is { } options ? g.Indexes.Select(i => options[i].Notify).ToArray() : null,
                EnvelopeId = message.Envelope.EnvelopeId,
                Return = message.Envelope.Return,
                Handovers = message.Envelope.Handovers,
                Smtputf8 = message.Envelope.Smtputf8,
                TraceParent = message.Envelope.TraceParent,
            }, g.Plan))
            .ToArray();
    }
}
