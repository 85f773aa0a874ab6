using Router.Actors.Routing;
using Xunit;

namespace Router.Tests.Routing;

public sealed class AddressSpaceTableTests
{
    // These tests are about the order of the tiers across patterns, so every connector allows falling back to a less
    // specific one (fallback = on); pinning, the default since issue 20, is tested in ConnectorPolicyRoutingTests.
    private static AddressSpaceTable Table(params (string Connector, string[] Spaces)[] connectors) =>
        new(connectors.Select(c => (c.Connector, (IReadOnlyList<AddressSpace>)c.Spaces.Select(AddressSpace.Parse).ToArray())),
            connectors.Select(c => c.Connector).Distinct().ToDictionary(c => c, _ => new ConnectorPolicy { Fallback = true }));

    private static RouteTier Tier(string pattern, int cost, params string[] connectors) => new(pattern, cost, connectors);

    [Fact]
    public void Exact_domain_beats_wildcard_suffix_and_star()
    {
        var table = Table(
            ("star", ["*;1"]),
            ("suffix", ["*.example.com;1"]),
            ("exact", ["a.example.com;1"]));

        Assert.Equal(
            [Tier("a.example.com", 1, "exact"), Tier("*.example.com", 1, "suffix"), Tier("*", 1, "star")],
            table.Resolve("a.example.com"));
    }

    [Fact]
    public void Specificity_beats_cost()
    {
        var table = Table(("cheap-star", ["*;1"]), ("dear-exact", ["example.com;100"]));

        Assert.Equal(
            [Tier("example.com", 100, "dear-exact"), Tier("*", 1, "cheap-star")],
            table.Resolve("example.com"));
    }

    [Fact]
    public void Wildcard_suffix_does_not_match_the_domain_itself()
    {
        var table = Table(("suffix", ["*.example.com;1"]), ("star", ["*;1"]));

        Assert.Equal([Tier("*", 1, "star")], table.Resolve("example.com"));
    }

    [Fact]
    public void Wildcard_suffix_matches_deeper_subdomains()
    {
        var table = Table(("suffix", ["*.example.com;1"]));

        Assert.Equal([Tier("*.example.com", 1, "suffix")], table.Resolve("c.b.a.example.com"));
    }

    [Fact]
    public void Longer_suffix_beats_shorter_suffix()
    {
        var table = Table(
            ("short", ["*.com;1"]),
            ("long", ["*.a.example.com;9"]),
            ("middle", ["*.example.com;1"]));

        Assert.Equal(
            [Tier("*.a.example.com", 9, "long"), Tier("*.example.com", 1, "middle"), Tier("*.com", 1, "short")],
            table.Resolve("x.a.example.com"));
    }

    [Fact]
    public void Same_specificity_is_ordered_by_cost_ascending()
    {
        var table = Table(("c5", ["*;5"]), ("c1", ["*;1"]), ("c3", ["*;3"]));

        Assert.Equal(
            [Tier("*", 1, "c1"), Tier("*", 3, "c3"), Tier("*", 5, "c5")],
            table.Resolve("example.org"));
    }

    [Fact]
    public void Equal_cost_connectors_form_one_tier_sorted_by_id()
    {
        var table = Table(("outbound-b", ["*;1"]), ("outbound-a", ["*;1"]), ("backup", ["*;2"]));

        Assert.Equal(
            [Tier("*", 1, "outbound-a", "outbound-b"), Tier("*", 2, "backup")],
            table.Resolve("example.org"));
    }

    [Fact]
    public void A_connector_with_two_matching_spaces_appears_only_in_its_best_tier()
    {
        var table = Table(
            ("partner", ["partner.example;5", "*;1"]),
            ("outbound", ["*;1"]));

        Assert.Equal(
            [Tier("partner.example", 5, "partner"), Tier("*", 1, "outbound")],
            table.Resolve("partner.example"));
    }

    [Fact]
    public void A_connector_listed_twice_in_the_input_appears_once()
    {
        var table = Table(("a", ["*;1"]), ("a", ["*;1"]));

        Assert.Equal([Tier("*", 1, "a")], table.Resolve("example.org"));
    }

    [Fact]
    public void The_contract_sample_routes_partner_subdomains_to_the_partner_then_outbound()
    {
        var table = Table(
            ("outbound-a", ["*;1"]),
            ("outbound-b", ["*;1"]),
            ("partner", ["partner.example;1", "*.partner.example;5"]));

        Assert.Equal(
            [Tier("*.partner.example", 5, "partner"), Tier("*", 1, "outbound-a", "outbound-b")],
            table.Resolve("mx.partner.example"));
        Assert.Equal(
            [Tier("partner.example", 1, "partner"), Tier("*", 1, "outbound-a", "outbound-b")],
            table.Resolve("partner.example"));
        Assert.Equal([Tier("*", 1, "outbound-a", "outbound-b")], table.Resolve("example.net"));
    }

    [Theory]
    [InlineData("EXAMPLE.COM")]
    [InlineData("Example.Com")]
    [InlineData("example.com.")]
    [InlineData("  example.com  ")]
    [InlineData("EXAMPLE.COM.")]
    public void Domains_are_matched_case_insensitively_and_without_trailing_dot(string domain)
    {
        var table = Table(("exact", ["Example.COM.;1"]));

        Assert.Equal([Tier("example.com", 1, "exact")], table.Resolve(domain));
    }

    [Theory]
    [InlineData("bücher.example")]
    [InlineData("BÜCHER.EXAMPLE")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.example.")]
    public void Unicode_pattern_matches_unicode_and_punycode_domains(string domain)
    {
        var table = Table(("idn", ["bücher.example;1"]));

        Assert.Equal([Tier("xn--bcher-kva.example", 1, "idn")], table.Resolve(domain));
    }

    [Theory]
    [InlineData("bücher.example")]
    [InlineData("xn--bcher-kva.example")]
    public void Punycode_pattern_matches_unicode_and_punycode_domains(string domain)
    {
        var table = Table(("idn", ["xn--bcher-kva.example;1"]));

        Assert.Equal([Tier("xn--bcher-kva.example", 1, "idn")], table.Resolve(domain));
    }

    [Fact]
    public void Unicode_wildcard_matches_a_punycode_subdomain()
    {
        var table = Table(("idn", ["*.bücher.example;2"]));

        Assert.Equal([Tier("*.xn--bcher-kva.example", 2, "idn")], table.Resolve("mx.xn--bcher-kva.example"));
    }

    [Theory]
    [InlineData("[192.0.2.1]")]
    [InlineData("[IPv6:2001:db8::1]")]
    public void An_address_literal_is_matched_only_by_star(string literal)
    {
        var table = Table(
            ("exact", ["example.com;1"]),
            ("suffix", ["*.example.com;1", "*.1;1"]),
            ("star", ["*;50"]));

        Assert.Equal([Tier("*", 50, "star")], table.Resolve(literal));
    }

    [Fact]
    public void An_address_literal_without_a_star_connector_has_no_route()
    {
        var table = Table(("exact", ["example.com;1"]));

        Assert.Empty(table.Resolve("[192.0.2.1]"));
    }

    [Fact]
    public void No_matching_space_gives_an_empty_list()
    {
        var table = Table(("exact", ["example.com;1"]), ("suffix", ["*.example.org;1"]));

        Assert.Empty(table.Resolve("example.net"));
        Assert.Empty(table.Resolve("example.org"));
    }

    [Fact]
    public void An_empty_table_routes_nothing()
    {
        Assert.Empty(Table().Resolve("example.com"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("exa mple.com")]
    [InlineData("bad_domain.com")]
    public void An_invalid_domain_has_no_route_even_with_star(string domain)
    {
        var table = Table(("star", ["*;1"]));

        Assert.Empty(table.Resolve(domain));
    }

    [Fact]
    public void Resolve_returns_the_cached_result_for_the_same_normalised_domain()
    {
        var table = Table(("star", ["*;1"]));

        var first = table.Resolve("Example.com.");
        var second = table.Resolve("example.com");

        Assert.Same(first, second);
        Assert.Equal(1, table.CachedDomainCount);
    }

    [Fact]
    public void The_cache_stays_bounded()
    {
        var table = Table(("star", ["*;1"]));

        for (var i = 0; i < AddressSpaceTable.MaxCachedDomains + 10; i++)
        {
            table.Resolve($"d{i}.example");
        }

        Assert.InRange(table.CachedDomainCount, 1, AddressSpaceTable.MaxCachedDomains);
        Assert.Equal([Tier("*", 1, "star")], table.Resolve("d0.example"));
    }

    [Theory]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("Example.COM.", "example.com")]
    [InlineData(" [192.0.2.1] ", "[192.0.2.1]")]
    [InlineData("[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]")]
    public void NormalizeDomain_gives_the_comparable_form(string input, string expected)
    {
        Assert.Equal(expected, AddressSpaceTable.NormalizeDomain(input));
    }

    [Fact]
    public void NormalizeDomain_throws_for_an_invalid_domain()
    {
        Assert.Throws<ArgumentException>(() => AddressSpaceTable.NormalizeDomain("bad domain"));
    }

    [Theory]
    [InlineData("user@example.com", "example.com")]
    [InlineData("<user@example.com>", "example.com")]
    [InlineData("user@[192.0.2.1]", "[192.0.2.1]")]
    [InlineData("\"odd@local\"@example.com", "example.com")]
    [InlineData("postmaster", "")]
    public void DomainOf_takes_the_part_after_the_last_at(string address, string expected)
    {
        Assert.Equal(expected, AddressSpaceTable.DomainOf(address));
    }
}
