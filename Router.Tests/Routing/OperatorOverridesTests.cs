using Router.Actors.Routing;

namespace Router.Tests.Routing;

public sealed class OperatorOverridesTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Firewalls = new Dictionary<string, IReadOnlyList<string>>
    {
        ["fw-a"] = ["out-a", "out-shared"],
        ["fw-b"] = ["out-b"],
    };

    [Fact]
    public void Mail_for_a_redirected_firewalls_connectors_goes_to_the_target_while_it_takes_work()
    {
        var overrides = new OperatorOverrides(new OperatorState([]), Firewalls);
        overrides.Redirect("fw-a", "out-b");

        Assert.Equal("out-b", overrides.RedirectedTarget("out-a", _ => true));
        Assert.Equal("out-b", overrides.RedirectedTarget("out-shared", _ => true));
        Assert.Null(overrides.RedirectedTarget("out-a", id => id != "out-b"));
        Assert.Null(overrides.RedirectedTarget("out-b", _ => true));
    }

    [Fact]
    public void A_cancelled_redirect_is_no_longer_in_force()
    {
        var overrides = new OperatorOverrides(new OperatorState([]), Firewalls);
        overrides.Redirect("fw-a", "out-b");

        Assert.True(overrides.CancelRedirect("fw-a"));
        Assert.False(overrides.CancelRedirect("fw-a"));
        Assert.Null(overrides.RedirectedTarget("out-a", _ => true));
    }

    [Fact]
    public void Suspending_and_resuming_say_whether_they_changed_anything()
    {
        var overrides = new OperatorOverrides(new OperatorState([]), Firewalls);

        Assert.True(overrides.Suspend("out-a"));
        Assert.False(overrides.Suspend("out-a"));
        Assert.True(overrides.IsSuspended("out-a"));
        Assert.True(overrides.Resume("out-a"));
        Assert.False(overrides.Resume("out-a"));
    }

    [Fact]
    public void Decisions_round_trip_through_the_saved_state_and_survive_new_connectors()
    {
        var overrides = new OperatorOverrides(new OperatorState(["out-b"]) { Redirects = new Dictionary<string, string> { ["fw-b"] = "out-a" } },
            new Dictionary<string, IReadOnlyList<string>>());

        var attached = overrides.With(Firewalls);
        var saved = attached.ToState();

        Assert.True(attached.IsSuspended("out-b"));
        Assert.Equal("out-a", attached.RedirectedTarget("out-b", _ => true));
        Assert.Equal(["out-b"], saved.SuspendedConnectors);
        Assert.Equal("out-a", saved.Redirects["fw-b"]);
        Assert.Equal(["fw-a"], attached.FirewallsOf("out-shared"));
    }
}
