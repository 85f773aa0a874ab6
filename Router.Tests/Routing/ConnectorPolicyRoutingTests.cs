using Router.Actors.Routing;
using Router.Messages;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>Issue 20: pinning to the most specific pattern, fallback = on, and connector restrictions (size, senders).</summary>
public sealed class ConnectorPolicyRoutingTests
{
    private static AddressSpaceTable Table(IReadOnlyDictionary<string, ConnectorPolicy> policies, params (string Connector, string[] Spaces)[] connectors) =>
        new(connectors.Select(c => (c.Connector, (IReadOnlyList<AddressSpace>)c.Spaces.Select(AddressSpace.Parse).ToArray())), policies);

    private static RouteTier Tier(string pattern, int cost, params string[] connectors) => new(pattern, cost, connectors);

    private static readonly (string, string[])[] PartnerAndInternet =
    [
        ("partner", ["partner.example;1"]),
        ("partner-backup", ["partner.example;5"]),
        ("internet", ["*;1"]),
    ];

    [Fact]
    public void By_default_mail_is_pinned_to_the_most_specific_pattern_and_only_its_cost_tiers_are_fallback()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy>(), PartnerAndInternet);

        Assert.Equal([Tier("partner.example", 1, "partner"), Tier("partner.example", 5, "partner-backup")], table.Resolve("partner.example"));
        Assert.Equal("partner.example", table.Explain("partner.example").PinnedTo);
        Assert.Equal([Tier("*", 1, "internet")], table.Resolve("other.example"));
        Assert.Null(table.Explain("other.example").PinnedTo);
    }

    [Fact]
    public void A_pattern_falls_back_only_when_every_one_of_its_connectors_says_fallback_on()
    {
        var one = Table(new Dictionary<string, ConnectorPolicy> { ["partner"] = new() { Fallback = true } }, PartnerAndInternet);
        Assert.Equal(2, one.Resolve("partner.example").Count);

        var both = Table(new Dictionary<string, ConnectorPolicy>
        {
            ["partner"] = new() { Fallback = true },
            ["partner-backup"] = new() { Fallback = true },
        }, PartnerAndInternet);
        Assert.Equal(
            [Tier("partner.example", 1, "partner"), Tier("partner.example", 5, "partner-backup"), Tier("*", 1, "internet")],
            both.Resolve("partner.example"));
        Assert.Null(both.Explain("partner.example").PinnedTo);
    }

    [Fact]
    public void Fallback_is_decided_pattern_by_pattern_down_the_chain()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy> { ["exact"] = new() { Fallback = true } },
            ("exact", ["a.example.com;1"]), ("suffix", ["*.example.com;1"]), ("star", ["*;1"]));

        Assert.Equal([Tier("a.example.com", 1, "exact"), Tier("*.example.com", 1, "suffix")], table.Resolve("a.example.com"));
        Assert.Equal("*.example.com", table.Explain("a.example.com").PinnedTo);
    }

    [Fact]
    public void A_connector_too_small_for_the_message_is_no_candidate_and_the_next_pattern_applies()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy> { ["partner"] = new() { MaxMessageSize = 1000 } },
            ("partner", ["partner.example;1"]), ("internet", ["*;1"]));

        Assert.Equal([Tier("partner.example", 1, "partner")], table.Resolve("partner.example", "a@corp.example", 1000, out var small));
        Assert.Null(small);
        Assert.Equal([Tier("*", 1, "internet")], table.Resolve("partner.example", "a@corp.example", 1001, out var big));
        Assert.Null(big);
        Assert.Equal([("partner", Restriction.Size)], table.Explain("partner.example", "a@corp.example", 1001).Excluded);
    }

    [Fact]
    public void When_every_matching_connector_refuses_the_message_the_reason_is_given_size_first()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy>
            {
                ["small"] = new() { MaxMessageSize = 1000 },
                ["marketing"] = new() { Senders = [SenderPattern.Parse("marketing.example")] },
            },
            ("small", ["partner.example;1"]), ("marketing", ["*;1"]));

        Assert.Empty(table.Resolve("partner.example", "a@corp.example", 5000, out var refused));
        Assert.Equal(Restriction.Size, refused);
        Assert.Empty(table.Resolve("other.example", "a@corp.example", 10, out var sender));
        Assert.Equal(Restriction.Sender, sender);
        Assert.Single(table.Resolve("other.example", "news@marketing.example", 10, out _));
    }

    [Fact]
    public void Senders_and_reject_senders_choose_the_connector_per_sender()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy>
            {
                ["bulk"] = new() { Senders = [SenderPattern.Parse("*.marketing.example"), SenderPattern.Parse("news@corp.example")] },
                ["general"] = new() { RejectSenders = [SenderPattern.Parse("*.marketing.example"), SenderPattern.Parse("news@corp.example")] },
            },
            ("bulk", ["*;1"]), ("general", ["*;1"]));

        Assert.Equal("bulk", Assert.Single(Assert.Single(table.Resolve("x.example", "a@eu.marketing.example", 10, out _)).ConnectorIds));
        Assert.Equal("bulk", Assert.Single(Assert.Single(table.Resolve("x.example", "NEWS@Corp.Example", 10, out _)).ConnectorIds));
        Assert.Equal("general", Assert.Single(Assert.Single(table.Resolve("x.example", "alice@corp.example", 10, out _)).ConnectorIds));
        Assert.Equal("general", Assert.Single(Assert.Single(table.Resolve("x.example", "", 10, out _)).ConnectorIds));
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "a@b.example", true)]
    [InlineData("<>", "", true)]
    [InlineData("<>", "a@b.example", false)]
    [InlineData("corp.example", "a@CORP.example", true)]
    [InlineData("@corp.example", "a@corp.example", true)]
    [InlineData("corp.example", "a@sub.corp.example", false)]
    [InlineData("*.corp.example", "a@sub.corp.example", true)]
    [InlineData("*.corp.example", "a@corp.example", false)]
    [InlineData("news@corp.example", "News@corp.example", true)]
    [InlineData("news@corp.example", "other@corp.example", false)]
    [InlineData("news@bücher.example", "news@xn--bcher-kva.example", true)]
    [InlineData("corp.example", "", false)]
    public void Sender_patterns_match_as_documented(string pattern, string sender, bool matches) =>
        Assert.Equal(matches, SenderPattern.Parse(pattern).Matches(sender));

    [Theory]
    [InlineData("")]
    [InlineData("*@corp.example")]
    [InlineData("a@*.corp.example")]
    [InlineData("a@")]
    [InlineData("bad domain")]
    public void Malformed_sender_patterns_are_refused_with_a_reason(string pattern)
    {
        Assert.False(SenderPattern.TryParse(pattern, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void The_splitter_returns_recipients_no_connector_will_carry_with_their_dsn_status()
    {
        var table = Table(new Dictionary<string, ConnectorPolicy>
            {
                ["partner"] = new() { MaxMessageSize = 100 },
                ["internal"] = new() { Senders = [SenderPattern.Parse("corp.example")] },
            },
            ("partner", ["partner.example;1"]), ("internal", ["corp.example;1"]), ("internet", ["*;1"]));
        var message = new MessageSpooled("Q1", new Envelope("x@elsewhere.example", ["a@partner.example", "b@corp.example", "c@net.example"],
            DateTimeOffset.UnixEpoch, "127.0.0.1", "client"), 500, [0, 1, 2]);

        var jobs = MessageSplitter.Split(message, table, out var unroutable, out var refused);

        Assert.Empty(unroutable);
        // partner is too small, so "*" carries a@partner.example; nothing else carries corp.example but "*" as well.
        Assert.Equal([0, 1, 2], Assert.Single(jobs).Job.RecipientIndexes);
        Assert.Empty(refused);

        var pinned = Table(new Dictionary<string, ConnectorPolicy>
            {
                ["partner"] = new() { MaxMessageSize = 100 },
                ["internal"] = new() { Senders = [SenderPattern.Parse("corp.example")] },
            },
            ("partner", ["partner.example;1"]), ("internal", ["corp.example;1"]));
        MessageSplitter.Split(message, pinned, out _, out var bounced);
        Assert.Equal([(0, "5.3.4"), (1, "5.7.1")], bounced.Select(f => (f.RecipientIndex, f.Status)));
    }
}
