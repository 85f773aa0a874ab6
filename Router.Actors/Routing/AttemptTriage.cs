using System.Text.RegularExpressions;
using Router.Actors.Health;
using Router.Messages.Delivery;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>What a connector does with one ended attempt.</summary>
/// <param name="Delivered">Recipient indexes the firewall accepted: journaled as delivered.</param>
/// <param name="Failed">Recipients refused for good (5xx): to the bounce.</param>
/// <param name="Next">The part still to deliver, or null when none is left.</param>
/// <param name="Release">How the part leaves the connector: finished, deferred (waits for its retry) or placed elsewhere at once.</param>
/// <param name="SetAside">The part failed every firewall it met (<see cref="AttemptPolicy.PoisonAfter"/> faults in a row): it waits for its retry alone.</param>
/// <param name="DuplicatePossible">The firewall failed after the data was sent: it may have the message already.</param>
/// <param name="RecipientDeferrals">Recipients a firewall deferred with a 4xx (for the Deferred log line; 0 for a firewall fault).</param>
public sealed record AttemptVerdict(
    IReadOnlyList<int> Delivered,
    IReadOnlyList<FailedRecipient> Failed,
    DeliveryJob? Next,
    JobRelease Release,
    bool SetAside,
    bool DuplicatePossible,
    int RecipientDeferrals);

/// <summary>The connector's rules for an attempt.</summary>
/// <param name="PoisonAfter">Firewall faults in a row after which the message, not the firewalls, is the suspect.</param>
public sealed record AttemptPolicy(int PoisonAfter);

/// <summary>
/// Decides what one delivery attempt means for its part: which recipients are delivered, which
/// failed for good (with their RFC 3463 status), which wait for a retry, and whether the part is
/// placed elsewhere at once (the firewall failed) or set aside as poison. Pure: the
/// <see cref="ConnectorActor"/> receives, asks this, and tells.
/// </summary>
public static partial class AttemptTriage
{
    public static AttemptVerdict Decide(DeliveryJob job, string connectorId, string firewallId, DeliveryResult result, AttemptPolicy policy)
    {
        if (OutcomeClassifier.PlaceElsewhereNow(result))
        {
            var faulted = job with
            {
                Attempts = job.Attempts + 1,
                // A firewall found to lack an extension the job needs counts too: it bounds the round trips of a job
                // whose firewalls change their EHLO from one session to the next.
                FirewallFaults = OutcomeClassifier.IsFirewallFault(result) || result.Outcome == AttemptOutcome.ExtensionNotOffered
                    ? job.FirewallFaults + 1 : job.FirewallFaults,
            };
            // The same message failed every firewall it met: it is the common factor. It waits for
            // its retry alone, so the firewalls recover.
            if (faulted.FirewallFaults >= policy.PoisonAfter)
                return new AttemptVerdict([], [], faulted with { Deferrals = job.Deferrals + 1 }, JobRelease.Deferred,
                    SetAside: true, result.DataSent, 0);
            // Placed again at once, elsewhere when possible: another connector of the tier, or another firewall of this one.
            return new AttemptVerdict([], [], faulted with { AvoidConnector = connectorId, AvoidFirewall = firewallId },
                JobRelease.PlaceElsewhere, SetAside: false, result.DataSent, 0);
        }

        var delivered = new List<int>();
        var failed = new List<FailedRecipient>();
        var retry = new List<int>();
        foreach (var r in result.Recipients)
        {
            var position = IndexOf(job.RecipientIndexes, r.RecipientIndex);
            if (position < 0)
                continue;
            if (r.Delivered)
                delivered.Add(r.RecipientIndex);
            else if (r.Permanent)
                failed.Add(new FailedRecipient(r.RecipientIndex, StatusOf(r.Reply, r.Code), r.Reply, firewallId) { Connector = connectorId });
            else
                retry.Add(position);
        }
        if (retry.Count == 0)
            return new AttemptVerdict(delivered, failed, null, JobRelease.Finished, false, false, 0);
        var again = job.Narrow(retry) with
        {
            Attempts = job.Attempts + 1,
            AvoidConnector = connectorId,
            // A firewall that could not give the TLS the connector demands is passed over next time when the connector has another.
            AvoidFirewall = result.Outcome == AttemptOutcome.RouteTlsFailed ? firewallId : job.AvoidFirewall,
            FirewallFaults = 0,
            Deferrals = job.Deferrals + 1,
        };
        return new AttemptVerdict(delivered, failed, again, JobRelease.Deferred, false, false, retry.Count);
    }

    /// <summary>The RFC 3463 code of a reply ("550 5.1.1 ..." gives 5.1.1), or the generic one for its class (4.0.0 for no reply).</summary>
    public static string StatusOf(string reply, int code)
    {
        var match = EnhancedStatus().Match(reply);
        return match.Success ? match.Groups[1].Value : $"{Math.Max(code / 100, 4)}.0.0";
    }

    [GeneratedRegex(@"\b([245]\.\d{1,3}\.\d{1,3})\b")]
    private static partial Regex EnhancedStatus();

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
                return i;
        }
        return -1;
    }
}
