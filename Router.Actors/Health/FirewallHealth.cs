namespace Router.Actors.Health;

/// <summary>
/// The health of one firewall: a circuit breaker driven by passive input (delivery outcomes) and
/// active input (probes). Pure and immutable: every input returns the next state, and the caller
/// compares <see cref="State"/> to see a transition.
/// </summary>
/// <param name="State">Current state.</param>
/// <param name="ConsecutiveFailures">Firewall failures in a row (probes included).</param>
/// <param name="TransientStreak">Whole-transaction 4xx in a row, each for a different message.</param>
/// <param name="LastTransientQueueId">The message of the last such 4xx, so one message cannot make a streak alone.</param>
/// <param name="Trips">Trips in a row without a stable healthy period between them; drives the doubling.</param>
/// <param name="Since">When the current state began.</param>
/// <param name="OpenUntil">While tripped: when a probe may first be tried.</param>
/// <param name="RecoveredAt">When it last came back from Probing; start of slow start.</param>
/// <param name="Reason">Why the last transition happened, for logs and operators.</param>
public sealed record FirewallHealth(
    HealthState State,
    int ConsecutiveFailures,
    int TransientStreak,
    string? LastTransientQueueId,
    int Trips,
    DateTimeOffset Since,
    DateTimeOffset OpenUntil,
    DateTimeOffset? RecoveredAt,
    string Reason)
{
    public static FirewallHealth Initial(DateTimeOffset now) =>
        new(HealthState.Healthy, 0, 0, null, 0, now, now, null, "started");

    /// <summary>
    /// In <see cref="HealthState.Probing"/> because of <see cref="ProbeFirst"/> (not half-open after a trip): a failed probe
    /// then counts as one failure, as it would have while healthy, instead of tripping at once.
    /// </summary>
    public bool HeldForProbe { get; init; }

    /// <summary>New work may be sent (the probe aside, tripped and drained firewalls get none).</summary>
    public bool AcceptsWork => State is HealthState.Healthy or HealthState.Suspect;

    /// <summary>Passive input: one delivery attempt ended.</summary>
    public FirewallHealth OnAttempt(AttemptClass attempt, string? queueId, string reason, DateTimeOffset now, HealthPolicy policy)
    {
        switch (attempt)
        {
            case AttemptClass.Success:
                return OnSuccess(now, policy);
            case AttemptClass.FirewallFailure:
                return OnFailure(reason, now, policy);
            case AttemptClass.TransientRejection:
                if (!AcceptsWork)
                    return this;
                if (queueId is not null && queueId == LastTransientQueueId)
                    return this;
                var streak = TransientStreak + 1;
                var next = this with { TransientStreak = streak, LastTransientQueueId = queueId };
                return streak >= policy.TripAfter
                    ? next.TripNow($"{streak} different messages refused with 4xx in a row: {reason}", now, policy)
                    : next;
            default:
                return this;
        }
    }

    /// <summary>Active input: a probe (connect, 220, EHLO, MAIL FROM:<>, RSET, QUIT) ended.</summary>
    public FirewallHealth OnProbe(bool succeeded, string reason, DateTimeOffset now, HealthPolicy policy)
    {
        if (State == HealthState.Drained)
            return this;
        if (!succeeded)
        {
            if (State == HealthState.Probing && HeldForProbe)
                return (this with { State = HealthState.Suspect, HeldForProbe = false }).OnFailure($"probe failed: {reason}", now, policy);
            return State == HealthState.Probing
                ? TripNow($"probe failed: {reason}", now, policy)
                : OnFailure($"probe failed: {reason}", now, policy);
        }
        return State switch
        {
            HealthState.Probing => this with
            {
                State = HealthState.Healthy,
                HeldForProbe = false,
                ConsecutiveFailures = 0,
                TransientStreak = 0,
                LastTransientQueueId = null,
                Since = now,
                RecoveredAt = now,
                Reason = "probe succeeded",
            },
            HealthState.Suspect => OnSuccess(now, policy) with { Reason = "probe succeeded" },
            _ => this,
        };
    }

    /// <summary>Time passing: a tripped firewall whose open time is over becomes half-open.</summary>
    public FirewallHealth OnTick(DateTimeOffset now)
    {
        return State == HealthState.Tripped && now >= OpenUntil
            ? this with { State = HealthState.Probing, Since = now, Reason = "open time over, probing" }
            : this;
    }

    /// <summary>
    /// The same firewall tripped on another node (issue 17): a healthy firewall becomes suspect (it still takes
    /// work, and is probed at once) so that this node does not vouch for it until it has seen it work again.
    /// Failures are not counted: the peer's trip is a reason to look, not a failure of this node's path.
    /// </summary>
    public FirewallHealth OnPeerTrip(string reason, DateTimeOffset now) =>
        State == HealthState.Healthy ? this with { State = HealthState.Suspect, Since = now, Reason = reason } : this;

    /// <summary>Operator: no new work; in-flight deliveries finish.</summary>
    public FirewallHealth Drain(DateTimeOffset now, string reason) =>
        this with { State = HealthState.Drained, HeldForProbe = false, Since = now, Reason = reason };

    /// <summary>Operator: back to healthy now, counters cleared.</summary>
    public FirewallHealth Reset(DateTimeOffset now, string reason) =>
        this with
        {
            State = HealthState.Healthy,
            HeldForProbe = false,
            ConsecutiveFailures = 0,
            TransientStreak = 0,
            LastTransientQueueId = null,
            Trips = 0,
            Since = now,
            RecoveredAt = null,
            Reason = reason,
        };

    /// <summary>
    /// A wait judged against the node's other firewalls (this one has no history of its own yet) ran far past them:
    /// no more work until a probe with the fixed timeouts says whether it is alive (then healthy again, with slow
    /// start) or not (then one failure, as a failed probe of a healthy firewall: suspect, or tripped after
    /// <c>trip-after</c> in a row). The hedge itself counts nothing: being slower than the others is not a failure.
    /// </summary>
    public FirewallHealth ProbeFirst(string reason, DateTimeOffset now) =>
        State is HealthState.Healthy or HealthState.Suspect
            ? this with { State = HealthState.Probing, HeldForProbe = true, Since = now, Reason = reason }
            : this;

    /// <summary>Operator or policy: open the circuit now.</summary>
    public FirewallHealth TripNow(string reason, DateTimeOffset now, HealthPolicy policy)
    {
        var trips = Trips + 1;
        return this with
        {
            State = HealthState.Tripped,
            HeldForProbe = false,
            Trips = trips,
            Since = now,
            OpenUntil = now + policy.OpenTime(trips),
            TransientStreak = 0,
            LastTransientQueueId = null,
            Reason = reason,
        };
    }

    /// <summary>
    /// How many deliveries may run at once: the whole pool when healthy, ramping linearly from one
    /// connection after a recovery so a firewall that comes back is not hit by the whole backlog.
    /// </summary>
    public int Capacity(int maxConnections, DateTimeOffset now, HealthPolicy policy)
    {
        if (!AcceptsWork)
            return 0;
        if (RecoveredAt is null || policy.SlowStart <= TimeSpan.Zero)
            return maxConnections;
        var elapsed = now - RecoveredAt.Value;
        if (elapsed >= policy.SlowStart)
            return maxConnections;
        var share = Math.Max(elapsed.Ticks, 0) / (double)policy.SlowStart.Ticks;
        return Math.Clamp((int)Math.Ceiling(maxConnections * share), 1, maxConnections);
    }

    private FirewallHealth OnSuccess(DateTimeOffset now, HealthPolicy policy)
    {
        if (State is HealthState.Tripped or HealthState.Probing or HealthState.Drained)
            return this;
        // A firewall that stayed healthy long enough after a recovery starts the doubling afresh.
        var stable = RecoveredAt is not null && now - RecoveredAt.Value >= policy.StableAfter;
        return this with
        {
            State = HealthState.Healthy,
            ConsecutiveFailures = 0,
            TransientStreak = 0,
            LastTransientQueueId = null,
            Trips = stable ? 0 : Trips,
            RecoveredAt = stable ? null : RecoveredAt,
            Since = State == HealthState.Healthy ? Since : now,
            Reason = State == HealthState.Healthy ? Reason : "delivery succeeded",
        };
    }

    private FirewallHealth OnFailure(string reason, DateTimeOffset now, HealthPolicy policy)
    {
        if (State is HealthState.Tripped or HealthState.Drained)
            return this;
        if (State == HealthState.Probing)
            return TripNow(reason, now, policy);
        var failures = ConsecutiveFailures + 1;
        return failures >= policy.TripAfter
            ? (this with { ConsecutiveFailures = failures }).TripNow($"{failures} failures in a row: {reason}", now, policy)
            : this with
            {
                State = HealthState.Suspect,
                ConsecutiveFailures = failures,
                Since = State == HealthState.Suspect ? Since : now,
                Reason = reason,
            };
    }
}
