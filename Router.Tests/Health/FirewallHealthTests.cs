using Router.Actors.Health;

namespace Router.Tests.Health;

public sealed class FirewallHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly HealthPolicy Policy = new(
        TripAfter: 3, OpenFor: TimeSpan.FromSeconds(10), MaxOpenFor: TimeSpan.FromSeconds(60),
        SlowStart: TimeSpan.FromSeconds(4), StableAfter: TimeSpan.FromMinutes(1));

    private static FirewallHealth Fail(FirewallHealth h, int times, DateTimeOffset at)
    {
        for (var i = 0; i < times; i++)
            h = h.OnAttempt(AttemptClass.FirewallFailure, $"q{i}", "connect refused", at, Policy);
        return h;
    }

    private static FirewallHealth TrippedAt(DateTimeOffset at) => Fail(FirewallHealth.Initial(T0), 3, at);

    [Fact]
    public void Starts_healthy_and_accepting_work()
    {
        var h = FirewallHealth.Initial(T0);
        Assert.Equal(HealthState.Healthy, h.State);
        Assert.True(h.AcceptsWork);
        Assert.Equal(8, h.Capacity(8, T0, Policy));
    }

    [Fact]
    public void First_failure_makes_it_suspect_but_still_accepting()
    {
        var h = Fail(FirewallHealth.Initial(T0), 1, T0);
        Assert.Equal(HealthState.Suspect, h.State);
        Assert.Equal(1, h.ConsecutiveFailures);
        Assert.True(h.AcceptsWork);
    }

    [Fact]
    public void Success_while_suspect_makes_it_healthy_and_clears_the_count()
    {
        var h = Fail(FirewallHealth.Initial(T0), 2, T0).OnAttempt(AttemptClass.Success, "q", "250", T0, Policy);
        Assert.Equal(HealthState.Healthy, h.State);
        Assert.Equal(0, h.ConsecutiveFailures);
    }

    [Fact]
    public void Trip_after_consecutive_failures_opens_the_circuit_for_open_for()
    {
        var h = TrippedAt(T0);
        Assert.Equal(HealthState.Tripped, h.State);
        Assert.False(h.AcceptsWork);
        Assert.Equal(0, h.Capacity(8, T0, Policy));
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), h.OpenUntil);
        Assert.Equal(1, h.Trips);
    }

    [Fact]
    public void Failures_separated_by_a_success_do_not_trip()
    {
        var h = Fail(FirewallHealth.Initial(T0), 2, T0);
        h = h.OnAttempt(AttemptClass.Success, "q", "250", T0, Policy);
        h = Fail(h, 2, T0);
        Assert.Equal(HealthState.Suspect, h.State);
    }

    [Fact]
    public void Tripped_becomes_probing_only_when_the_open_time_is_over()
    {
        var h = TrippedAt(T0);
        Assert.Equal(HealthState.Tripped, h.OnTick(T0 + TimeSpan.FromSeconds(9.9)).State);
        var probing = h.OnTick(T0 + TimeSpan.FromSeconds(10));
        Assert.Equal(HealthState.Probing, probing.State);
        Assert.False(probing.AcceptsWork);
    }

    [Fact]
    public void Successful_probe_while_probing_recovers_with_slow_start()
    {
        var at = T0 + TimeSpan.FromSeconds(10);
        var h = TrippedAt(T0).OnTick(at).OnProbe(true, "220", at, Policy);
        Assert.Equal(HealthState.Healthy, h.State);
        Assert.Equal(at, h.RecoveredAt);
        Assert.Equal(1, h.Capacity(8, at, Policy));
        Assert.Equal(4, h.Capacity(8, at + TimeSpan.FromSeconds(2), Policy));
        Assert.Equal(8, h.Capacity(8, at + TimeSpan.FromSeconds(4), Policy));
    }

    [Fact]
    public void Failed_probe_while_probing_trips_again_with_doubled_open_time()
    {
        var at = T0 + TimeSpan.FromSeconds(10);
        var h = TrippedAt(T0).OnTick(at).OnProbe(false, "refused", at, Policy);
        Assert.Equal(HealthState.Tripped, h.State);
        Assert.Equal(2, h.Trips);
        Assert.Equal(at + TimeSpan.FromSeconds(20), h.OpenUntil);
    }

    [Fact]
    public void Open_time_doubles_on_each_retrip_up_to_max_open_for()
    {
        var h = TrippedAt(T0);
        var now = T0;
        var observed = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            now = h.OpenUntil;
            h = h.OnTick(now).OnProbe(false, "refused", now, Policy);
            observed.Add((h.OpenUntil - now).TotalSeconds);
        }
        Assert.Equal([20, 40, 60, 60, 60], observed);
    }

    [Fact]
    public void A_retrip_soon_after_recovery_keeps_doubling_but_a_stable_period_resets_it()
    {
        var at = T0 + TimeSpan.FromSeconds(10);
        var recovered = TrippedAt(T0).OnTick(at).OnProbe(true, "220", at, Policy);

        var soon = Fail(recovered, 3, at + TimeSpan.FromSeconds(5));
        Assert.Equal(2, soon.Trips);
        Assert.Equal(TimeSpan.FromSeconds(20), soon.OpenUntil - soon.Since);

        var stableAt = at + TimeSpan.FromMinutes(2);
        var stable = recovered.OnAttempt(AttemptClass.Success, "q", "250", stableAt, Policy);
        Assert.Equal(0, stable.Trips);
        var later = Fail(stable, 3, stableAt);
        Assert.Equal(TimeSpan.FromSeconds(10), later.OpenUntil - later.Since);
    }

    [Fact]
    public void Transient_rejections_of_different_messages_in_a_row_trip_it()
    {
        var h = FirewallHealth.Initial(T0);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m1", "451", T0, Policy);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m2", "451", T0, Policy);
        Assert.True(h.AcceptsWork);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m3", "451", T0, Policy);
        Assert.Equal(HealthState.Tripped, h.State);
    }

    [Fact]
    public void Transient_rejections_of_one_message_say_nothing_about_the_firewall()
    {
        var h = FirewallHealth.Initial(T0);
        for (var i = 0; i < 10; i++)
            h = h.OnAttempt(AttemptClass.TransientRejection, "same", "451", T0, Policy);
        Assert.Equal(HealthState.Healthy, h.State);
    }

    [Fact]
    public void A_success_breaks_a_transient_streak()
    {
        var h = FirewallHealth.Initial(T0);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m1", "451", T0, Policy);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m2", "451", T0, Policy);
        h = h.OnAttempt(AttemptClass.Success, "m3", "250", T0, Policy);
        h = h.OnAttempt(AttemptClass.TransientRejection, "m4", "451", T0, Policy);
        Assert.Equal(HealthState.Healthy, h.State);
    }

    [Fact]
    public void Neutral_outcomes_change_nothing()
    {
        var h = Fail(FirewallHealth.Initial(T0), 2, T0);
        Assert.Equal(h, h.OnAttempt(AttemptClass.Neutral, "q", "local", T0, Policy));
    }

    [Fact]
    public void A_late_success_from_an_attempt_in_flight_does_not_close_a_tripped_circuit()
    {
        var h = TrippedAt(T0).OnAttempt(AttemptClass.Success, "q", "250", T0, Policy);
        Assert.Equal(HealthState.Tripped, h.State);
    }

    [Fact]
    public void Failed_probe_while_healthy_counts_as_a_failure()
    {
        var h = FirewallHealth.Initial(T0).OnProbe(false, "no greeting", T0, Policy);
        Assert.Equal(HealthState.Suspect, h.State);
        h = h.OnProbe(false, "no greeting", T0, Policy).OnProbe(false, "no greeting", T0, Policy);
        Assert.Equal(HealthState.Tripped, h.State);
    }

    [Fact]
    public void Successful_probe_while_suspect_makes_it_healthy()
    {
        var h = Fail(FirewallHealth.Initial(T0), 1, T0).OnProbe(true, "220", T0, Policy);
        Assert.Equal(HealthState.Healthy, h.State);
    }

    [Fact]
    public void Drain_stops_new_work_and_ignores_results_until_reset()
    {
        var h = FirewallHealth.Initial(T0).Drain(T0, "operator");
        Assert.Equal(HealthState.Drained, h.State);
        Assert.False(h.AcceptsWork);
        Assert.Equal(HealthState.Drained, Fail(h, 5, T0).State);
        Assert.Equal(HealthState.Drained, h.OnProbe(true, "220", T0, Policy).State);
        var reset = h.Reset(T0, "operator");
        Assert.Equal(HealthState.Healthy, reset.State);
        Assert.True(reset.AcceptsWork);
    }

    [Fact]
    public void Operator_trip_opens_the_circuit_at_once()
    {
        var h = FirewallHealth.Initial(T0).TripNow("operator", T0, Policy);
        Assert.Equal(HealthState.Tripped, h.State);
        Assert.Equal(T0 + Policy.OpenFor, h.OpenUntil);
    }
}
