using Router.Actors.Routing;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

public sealed class ConnectorLoadsTests
{
    private readonly ConnectorLoads _loads = new();

    [Fact]
    public void A_connector_that_never_reported_carries_what_was_sent_to_it()
    {
        _loads.Sent("out");
        _loads.Sent("out");

        Assert.Equal((2, 0), (_loads.Of("out"), _loads.Of("other")));
    }

    [Fact]
    public void A_report_is_the_connectors_own_count_plus_the_jobs_sent_that_it_had_not_taken_yet()
    {
        for (var i = 0; i < 5; i++)
            _loads.Sent("out");

        // It had taken 3 of the 5, finished 2 of them.
        _loads.Reported("out", new ConnectorLoad(Backlog: 1, Enqueued: 3));

        Assert.Equal(1 + 2, _loads.Of("out"));
    }

    [Fact]
    public void Each_report_replaces_the_last_so_nothing_drifts()
    {
        _loads.Sent("out");
        _loads.Reported("out", new ConnectorLoad(Backlog: 7, Enqueued: 1));
        _loads.Reported("out", new ConnectorLoad(Backlog: 0, Enqueued: 1));

        Assert.Equal(0, _loads.Of("out"));
    }

    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_connector_that_finishes_jobs_faster_drains_the_same_backlog_sooner()
    {
        // For 10 s, fast finished 200 jobs a second, slow 5 (16 connections to a firewall that takes 3 s a message).
        for (var i = 0; i < 2000; i++)
            _loads.Finished("fast", T0.AddMilliseconds(5 * i));
        for (var i = 0; i < 50; i++)
            _loads.Finished("slow", T0.AddMilliseconds(200 * i));
        for (var i = 0; i < 40; i++)
        {
            _loads.Sent("fast");
            _loads.Sent("slow");
        }
        var now = T0.AddSeconds(10);

        var fast = _loads.DrainSeconds("fast", now)!.Value;
        var slow = _loads.DrainSeconds("slow", now)!.Value;
        Assert.True(slow > 20 * fast, $"slow drains in {slow:0.00}s, fast in {fast:0.00}s");
        // About 40 jobs at about 5 a second.
        Assert.InRange(slow, 4, 16);
    }

    [Fact]
    public void An_idle_connector_drains_at_once_and_one_never_timed_has_no_estimate()
    {
        Assert.Equal(0, _loads.DrainSeconds("idle", T0));
        _loads.Sent("new");
        Assert.Null(_loads.DrainSeconds("new", T0));
    }

    [Fact]
    public void A_connector_that_never_finished_a_job_is_judged_by_how_long_it_has_held_them()
    {
        // fast finishes 200 a second and holds 100; slow was sent 5 jobs 3 s ago and has answered none yet.
        for (var i = 0; i < 2000; i++)
            _loads.Finished("fast", T0.AddMilliseconds(5 * i));
        for (var i = 0; i < 100; i++)
            _loads.Sent("fast", T0.AddSeconds(7));
        for (var i = 0; i < 5; i++)
            _loads.Sent("slow", T0.AddSeconds(7));

        var now = T0.AddSeconds(10);
        var fast = _loads.DrainSeconds("fast", now)!.Value;
        var slow = _loads.DrainSeconds("slow", now)!.Value;
        // At most one job per 3 s: 5 jobs, 15 s at least, against half a second for fast's 100.
        Assert.True(slow >= 15 && fast < 1, $"slow {slow:0.00}s, fast {fast:0.00}s");
        // Right after its first jobs went out, a fresh connector is still worth a job.
        var fresh = new ConnectorLoads();
        fresh.Sent("new", T0);
        Assert.True(fresh.DrainSeconds("new", T0.AddMilliseconds(1)) < 0.01);
    }

    [Fact]
    public void A_connector_that_holds_jobs_and_finishes_none_looks_slower_the_longer_it_goes_on()
    {
        for (var i = 0; i < 50; i++)
            _loads.Finished("out", T0.AddMilliseconds(10 * i));
        _loads.Sent("out");

        var soon = _loads.DrainSeconds("out", T0.AddSeconds(1))!.Value;
        var later = _loads.DrainSeconds("out", T0.AddSeconds(10))!.Value;
        Assert.True(later > 50 * soon, $"{soon:0.000}s a second after its last finish, {later:0.000}s ten seconds after");
    }
}
