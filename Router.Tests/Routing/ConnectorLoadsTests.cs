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
}
