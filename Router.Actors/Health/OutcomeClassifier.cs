using Router.Messages.Delivery;

namespace Router.Actors.Health;

/// <summary>
/// Maps a delivery result to what it says about the firewall. A 5xx for one recipient, or a 4xx
/// tied to one message, is the message's business; refused connections, missing greetings,
/// timeouts, 421 and broken sessions are the firewall's.
/// </summary>
public static class OutcomeClassifier
{
    public static AttemptClass Classify(DeliveryResult result) => result.Outcome switch
    {
        AttemptOutcome.Completed when result.Recipients.Count > 0 && result.Recipients.All(r => r.Code is >= 400 and < 500)
            => AttemptClass.TransientRejection,
        AttemptOutcome.Completed => AttemptClass.Success,
        AttemptOutcome.PermanentRejection => AttemptClass.Success,
        AttemptOutcome.TransientRejection => AttemptClass.TransientRejection,
        AttemptOutcome.LocalError or AttemptOutcome.Aborted => AttemptClass.Neutral,
        AttemptOutcome.ConnectFailed or AttemptOutcome.ConnectTimeout or AttemptOutcome.GreetingTimeout
            or AttemptOutcome.SessionRefused or AttemptOutcome.TlsFailed or AttemptOutcome.ServiceClosing
            or AttemptOutcome.CommandTimeout or AttemptOutcome.ConnectionLost or AttemptOutcome.ProtocolError
            or AttemptOutcome.AuthFailed
            => AttemptClass.FirewallFailure,
        _ => AttemptClass.Neutral,
    };

    /// <summary>
    /// True when the job itself did nothing wrong and the firewall failed it: the job should be placed
    /// again at once on another path rather than wait for a retry timer.
    /// </summary>
    public static bool IsFirewallFault(DeliveryResult result) => Classify(result) == AttemptClass.FirewallFailure;

    /// <summary>
    /// The job should be placed again at once, elsewhere: the firewall failed it, it was abandoned when the firewall
    /// tripped, or the firewall turned out to lack an extension the job needs.
    /// </summary>
    public static bool PlaceElsewhereNow(DeliveryResult result) =>
        result.Outcome is AttemptOutcome.Aborted or AttemptOutcome.ExtensionNotOffered || IsFirewallFault(result);
}
