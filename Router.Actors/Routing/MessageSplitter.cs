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
        MessageSpooled message, AddressSpaceTable table, out IReadOnlyList<int> unroutable) =>
        Split(message, table, out unroutable, out _);

    /// <summary>
    /// As above; recipients whose matching connectors all refuse the message (its size, its sender) come back in
    /// <paramref name="refused"/> with the status their bounce carries: 5.3.4 for size, 5.7.1 for the sender.
    /// </summary>
    public static IReadOnlyList<(DeliveryJob Job, RoutePlan Plan)> Split(
        MessageSpooled message, AddressSpaceTable table, out IReadOnlyList<int> unroutable, out IReadOnlyList<FailedRecipient> refused)
    {
        var groups = new Dictionary<string, (RoutePlan Plan, List<int> Indexes)>(StringComparer.Ordinal);
        var noRoute = new List<int>();
        var restricted = new List<FailedRecipient>();
        foreach (var index in message.PendingRecipients)
        {
            var domain = AddressSpaceTable.DomainOf(message.Envelope.Recipients[index]);
            var tiers = table.Resolve(domain, message.Envelope.Sender, message.Length, out var why);
            if (why is { } restriction)
            {
                restricted.Add(restriction == Restriction.Size
                    ? new FailedRecipient(index, "5.3.4", $"message too big for every connector that carries mail to this domain ({message.Length} bytes)", null)
                    : new FailedRecipient(index, "5.7.1", "no connector that carries mail to this domain takes mail from this sender", null));
                continue;
            }
            if (tiers.Count == 0)
            {
                noRoute.Add(index);
                continue;
            }
            var plan = RoutePlan.From(tiers);
            // An MX connector delivers each domain to its own MX hosts: one job per domain there.
            var groupKey = table.PerDomain(tiers) ? $"{plan.Key}\n{domain.ToLowerInvariant()}" : plan.Key;
            if (!groups.TryGetValue(groupKey, out var group))
                groups[groupKey] = group = (plan, []);
            group.Indexes.Add(index);
        }

        unroutable = noRoute;
        refused = restricted;
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
                EightBit = message.Envelope.EightBit,
                RequireTls = message.Envelope.RequireTls,
            }, g.Plan))
            .ToArray();
    }
}
