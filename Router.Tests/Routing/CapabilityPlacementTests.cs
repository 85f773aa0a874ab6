using Router.Actors.Configuration;
using Router.Actors.Routing;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

/// <summary>
/// Issue 23: a part that needs SMTPUTF8, 8BITMIME or REQUIRETLS goes only where a firewall offers it. "a" and "b"
/// share tier 1 (fw-a, fw-b), "backup" is tier 2 (fw-c).
/// </summary>
public sealed class CapabilityPlacementTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static readonly AddressSpaceTable Table = new(
    [
        ("a", [AddressSpace.Parse("*;1")]),
        ("b", [AddressSpace.Parse("*;1")]),
        ("backup", [AddressSpace.Parse("*;5")]),
    ]);

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Firewalls = new Dictionary<string, IReadOnlyList<string>>
    {
        ["fw-a"] = ["a"],
        ["fw-b"] = ["b"],
        ["fw-c"] = ["backup"],
    };

    private static readonly DeliveryJob Plain = new("Q1", "s@example.org", [0], ["r@example.com"], 100, "k", 0);
    private static readonly DeliveryJob Utf8 = Plain with { Recipients = ["müller@bücher.example"], Smtputf8 = true };
    private static readonly DeliveryJob EightBit = Plain with { EightBit = true };
    private static readonly DeliveryJob RequireTls = Plain with { RequireTls = true };

    private readonly PathSelector _paths = new(Table, new ConnectorChooser(new Random(1)), new OperatorOverrides(new OperatorState([]), new Dictionary<string, IReadOnlyList<string>>()));

    public CapabilityPlacementTests() => _paths.Attach(["a", "b", "backup"], Firewalls);

    private void Offers(string connector, string firewall, MailExtensions? offers, bool acceptsWork = true) =>
        _paths.Capabilities.Report(connector, [new FirewallOffer(firewall, acceptsWork, offers)]);

    [Fact]
    public void Within_a_tier_the_connector_whose_firewall_offers_smtputf8_takes_the_part_even_when_more_loaded()
    {
        Offers("a", "fw-a", MailExtensions.EightBitMime);
        Offers("b", "fw-b", MailExtensions.EightBitMime | MailExtensions.Smtputf8);
        _paths.Loads.Reported("b", new ConnectorLoad(50, 0));

        Assert.Equal("b", _paths.Choose(Utf8, Now).Connector);
        // Mail that needs nothing still goes by load.
        Assert.Equal("a", _paths.Choose(Plain, Now).Connector);
    }

    [Fact]
    public void A_known_offer_is_preferred_to_a_firewall_not_tried_yet_and_an_unknown_one_to_a_known_lack()
    {
        Offers("a", "fw-a", MailExtensions.EightBitMime);
        Assert.Equal("b", _paths.Choose(EightBit with { Smtputf8 = true }, Now).Connector);

        Offers("a", "fw-a", MailExtensions.EightBitMime | MailExtensions.Smtputf8);
        _paths.Loads.Reported("a", new ConnectorLoad(50, 0));
        Assert.Equal("a", _paths.Choose(Utf8, Now).Connector);
    }

    [Fact]
    public void When_no_firewall_of_the_first_tier_offers_it_the_next_tier_takes_it()
    {
        Offers("a", "fw-a", MailExtensions.None);
        Offers("b", "fw-b", MailExtensions.None);
        Offers("backup", "fw-c", MailExtensions.EightBitMime);

        Assert.Equal("backup", _paths.Choose(EightBit, Now).Connector);
    }

    [Fact]
    public void When_every_firewall_of_every_tier_lacks_smtputf8_the_part_fails_with_5_6_7_naming_them()
    {
        Offers("a", "fw-a", MailExtensions.EightBitMime);
        Offers("b", "fw-b", MailExtensions.EightBitMime);
        Offers("backup", "fw-c", MailExtensions.EightBitMime | MailExtensions.RequireTls);

        var choice = _paths.Choose(Utf8, Now);

        Assert.Null(choice.Connector);
        Assert.Null(choice.Handover);
        Assert.NotNull(choice.Failure);
        Assert.Equal("5.6.7", choice.Failure.Status);
        Assert.Equal(553, choice.Failure.Code);
        Assert.Contains("fw-a does not offer SMTPUTF8, fw-b does not offer SMTPUTF8, fw-c does not offer SMTPUTF8", choice.Failure.Diagnostic);
    }

    [Fact]
    public void An_eight_bit_part_fails_with_5_6_3_and_a_requiretls_part_with_5_7_30()
    {
        foreach (var (connector, firewall) in new[] { ("a", "fw-a"), ("b", "fw-b"), ("backup", "fw-c") })
            Offers(connector, firewall, MailExtensions.Smtputf8);

        Assert.Equal(("5.6.3", 554), (_paths.Choose(EightBit, Now).Failure?.Status, _paths.Choose(EightBit, Now).Failure?.Code));
        Assert.Equal(("5.7.30", 550), (_paths.Choose(RequireTls, Now).Failure?.Status, _paths.Choose(RequireTls, Now).Failure?.Code));
        Assert.Null(_paths.Choose(Plain, Now).Failure);
    }

    [Fact]
    public void A_part_whose_only_capable_firewall_is_down_waits_for_a_path_instead_of_failing()
    {
        Offers("a", "fw-a", MailExtensions.None);
        Offers("b", "fw-b", MailExtensions.Smtputf8, acceptsWork: false);
        Offers("backup", "fw-c", MailExtensions.None);
        _paths.MarkDown("b");

        Assert.Equal(new PathChoice(null, null), _paths.Choose(Utf8, Now));

        _paths.MarkUsable("b");
        Offers("b", "fw-b", MailExtensions.Smtputf8);
        Assert.Equal("b", _paths.Choose(Utf8, Now).Connector);
    }

    [Fact]
    public void A_connector_not_reported_yet_is_tried_rather_than_the_part_failed()
    {
        Offers("a", "fw-a", MailExtensions.None);
        Offers("backup", "fw-c", MailExtensions.None);

        Assert.Equal("b", _paths.Choose(RequireTls, Now).Connector);
    }

    [Theory]
    [InlineData(null, MailExtensions.Smtputf8, ExtensionFit.Unknown)]
    [InlineData(MailExtensions.Smtputf8 | MailExtensions.EightBitMime, MailExtensions.Smtputf8, ExtensionFit.Offered)]
    [InlineData(MailExtensions.Smtputf8, MailExtensions.Smtputf8 | MailExtensions.EightBitMime, ExtensionFit.Lacking)]
    [InlineData(MailExtensions.None, MailExtensions.None, ExtensionFit.Offered)]
    public void Fit_compares_what_is_offered_with_what_is_needed(MailExtensions? offers, MailExtensions needs, ExtensionFit fit) =>
        Assert.Equal(fit, CapabilityPlacement.Fit(offers, needs));
}
