using Router.Actors.Routing;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>
/// The operator's route explanation, from the router's own table and decision, without actors. The partner connector
/// has fallback = on here, so that its mail may fall to "*" (pinning: the last tests).
/// </summary>
public sealed class RouteExplainerTests
{
    private static readonly AddressSpaceTable Table = new(
    [
        ("partner", [AddressSpace.Parse("partner.example;1"), AddressSpace.Parse("*;5")]),
        ("out-a", [AddressSpace.Parse("*;1")]),
        ("out-b", [AddressSpace.Parse("*;1")]),
    ], new Dictionary<string, ConnectorPolicy> { ["partner"] = new() { Fallback = true } });

    private static ConnectorState State(string id, string state = "usable") => new(id, state, 0, [], null);

    private static RouteExplanation Explain(string address, Func<string, ConnectorState> stateOf, Func<IReadOnlyList<RouteTier>, string?, (string?, string?)> decide) =>
        RouteExplainer.Explain(address, Table, stateOf, decide);

    [Fact]
    public void Matches_are_listed_best_first_with_the_tier_each_placed_its_connector_in()
    {
        var explanation = Explain("bob@Partner.Example", id => State(id), (_, _) => ("partner", "partner"));

        Assert.Equal("partner.example", explanation.Domain);
        Assert.Equal(
            [new AddressSpaceMatch("partner", "partner.example", 1, 1), new("out-a", "*", 1, 2), new("out-b", "*", 1, 2), new("partner", "*", 5, 0)],
            explanation.Matches);
        Assert.Equal([(1, "partner.example", 1, 1), (2, "*", 1, 2)], explanation.Tiers.Select(t => (t.Rank, t.Pattern, t.Cost, t.Connectors.Count)));
        Assert.Equal("partner", explanation.Chosen);
        Assert.Equal("deliver via partner (the only usable connector of tier 1)", explanation.Verdict);
    }

    [Fact]
    public void The_decision_is_the_routers_own_and_a_fall_to_tier_2_says_so()
    {
        IReadOnlyList<RouteTier>? asked = null;
        var explanation = Explain("bob@partner.example", id => State(id, id == "partner" ? "down" : "usable"), (tiers, _) =>
        {
            asked = tiers;
            return ("out-b", "out-b");
        });

        Assert.Same(Table.Resolve("partner.example"), asked);
        Assert.Equal("out-b", explanation.Chosen);
        Assert.Equal("deliver via out-b (the smaller backlog of two of the 2 usable connectors of tier 2); tier 1 down", explanation.Verdict);
    }

    [Fact]
    public void An_operator_redirect_is_shown_with_the_connector_the_tiers_picked()
    {
        var explanation = Explain("x@example.net", id => State(id), (_, _) => ("out-a", "out-b"));

        Assert.Equal(("out-b", "out-a"), (explanation.Chosen, explanation.RedirectedFrom));
        Assert.StartsWith("deliver via out-b: an operator redirect", explanation.Verdict);
    }

    [Fact]
    public void No_usable_connector_means_parked_and_no_domain_or_no_match_means_no_route()
    {
        Assert.StartsWith("parked", Explain("x@example.net", id => State(id, "down"), (_, _) => (null, null)).Verdict);

        var noDomain = Explain("postmaster", id => State(id), (_, _) => throw new InvalidOperationException("not asked"));
        Assert.Equal(("", "the address has no domain (expected local@domain)"), (noDomain.Domain, noDomain.Error));

        var narrow = RouteExplainer.Explain("x@elsewhere.example", new AddressSpaceTable([("only", [AddressSpace.Parse("partner.example;1")])]),
            id => State(id), (_, _) => throw new InvalidOperationException("not asked"));
        Assert.Empty(narrow.Tiers);
        Assert.Null(narrow.Chosen);
        Assert.StartsWith("no route: no address space matches", narrow.Verdict);
    }

    [Fact]
    public void A_pinned_route_says_which_rule_applied_and_which_matches_it_leaves_out()
    {
        var pinned = new AddressSpaceTable(
        [
            ("partner", [AddressSpace.Parse("partner.example;1")]),
            ("out-a", [AddressSpace.Parse("*;1")]),
        ]);

        var explanation = RouteExplainer.Explain("bob@partner.example", pinned, id => State(id, id == "partner" ? "down" : "usable"), (_, _) => (null, null));

        Assert.Equal([new AddressSpaceMatch("partner", "partner.example", 1, 1), new("out-a", "*", 1, -1)], explanation.Matches);
        Assert.Single(explanation.Tiers);
        Assert.Equal("most specific matching pattern: partner.example; pinned to partner.example: fallback = off on partner, so * is not used", explanation.Rule);
        Assert.StartsWith("parked: no connector of partner.example is usable and its mail is pinned to it (fallback = off)", explanation.Verdict);
    }

    [Fact]
    public void A_route_that_may_fall_back_says_so_in_its_rule()
    {
        var explanation = Explain("bob@partner.example", id => State(id), (_, _) => ("partner", "partner"));

        Assert.Equal("most specific matching pattern: partner.example; falls back to * (fallback = on on partner)", explanation.Rule);
    }

    [Fact]
    public void For_one_message_the_connectors_its_restrictions_leave_out_are_named_and_none_left_says_the_dsn_status()
    {
        var table = new AddressSpaceTable(
        [
            ("partner", [AddressSpace.Parse("partner.example;1")]),
            ("out-a", [AddressSpace.Parse("*;1")]),
        ], new Dictionary<string, ConnectorPolicy> { ["partner"] = new() { MaxMessageSize = 1000 }, ["out-a"] = new() { MaxMessageSize = 5000 } });

        var big = RouteExplainer.Explain("bob@partner.example", table, id => State(id), (tiers, _) => (tiers[0].ConnectorIds[0], tiers[0].ConnectorIds[0]), size: 2000);
        Assert.Equal("out-a", big.Chosen);
        Assert.Equal("most specific matching pattern: *; left out for this message: partner (max-message-size)", big.Rule);

        var huge = RouteExplainer.Explain("bob@partner.example", table, id => State(id), (_, _) => throw new InvalidOperationException("not asked"), size: 9000);
        Assert.Null(huge.Chosen);
        Assert.EndsWith("(5.3.4)", huge.Verdict);
    }
}
