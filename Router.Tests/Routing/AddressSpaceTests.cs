using Router.Actors.Routing;
using Xunit;

namespace Router.Tests.Routing;

public sealed class AddressSpaceTests
{
    [Theory]
    [InlineData("example.com;1", "example.com", 1)]
    [InlineData("*.example.com;5", "*.example.com", 5)]
    [InlineData("*;100", "*", 100)]
    [InlineData("  Example.COM. ; 7 ", "example.com", 7)]
    [InlineData("*.Example.Com.;2", "*.example.com", 2)]
    [InlineData("bücher.example;1", "xn--bcher-kva.example", 1)]
    [InlineData("BÜCHER.example;1", "xn--bcher-kva.example", 1)]
    [InlineData("xn--bcher-kva.example;1", "xn--bcher-kva.example", 1)]
    [InlineData("*.bücher.example;3", "*.xn--bcher-kva.example", 3)]
    [InlineData("localhost;1", "localhost", 1)]
    public void TryParse_accepts_and_normalises_valid_spaces(string text, string pattern, int cost)
    {
        Assert.True(AddressSpace.TryParse(text, out var space, out var error), error);
        Assert.Equal(new AddressSpace(pattern, cost), space);
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("example.com", "no cost")]
    [InlineData("example.com;", "not a whole number")]
    [InlineData("example.com;abc", "not a whole number")]
    [InlineData("example.com;-1", "not a whole number")]
    [InlineData("example.com;1.5", "not a whole number")]
    [InlineData("example.com;0", "cost 0 is out of range 1-100")]
    [InlineData("example.com;101", "cost 101 is out of range 1-100")]
    [InlineData(";1", "pattern is empty")]
    [InlineData(" ;1", "pattern is empty")]
    [InlineData("a.*.example.com;1", "'*'")]
    [InlineData("example.*;1", "'*'")]
    [InlineData("**;1", "'*'")]
    [InlineData("**.example.com;1", "'*'")]
    [InlineData("*.*.example.com;1", "'*'")]
    [InlineData("*example.com;1", "'*'")]
    [InlineData("*.;1", "no domain after '*.'")]
    [InlineData("*..;5", "no domain after '*.'")]
    [InlineData("exa mple.com;1", "contains a space")]
    [InlineData("*. example.com;1", "contains a space")]
    [InlineData("exa_mple.com;1", "'_'")]
    [InlineData("exam!ple.com;1", "'!'")]
    [InlineData("example..com;1", "empty label")]
    [InlineData(".example.com;1", "empty label")]
    [InlineData("-example.com;1", "hyphen")]
    [InlineData("example-.com;1", "hyphen")]
    [InlineData("[192.0.2.1];1", "address literal")]
    [InlineData("bü_cher.example;1", "not a valid internationalised domain name")]
    public void TryParse_rejects_bad_spaces_with_a_reason(string? text, string reason)
    {
        Assert.False(AddressSpace.TryParse(text, out var space, out var error));
        Assert.Null(space);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_rejects_a_label_longer_than_63_characters()
    {
        var label = new string('a', 64);
        Assert.False(AddressSpace.TryParse($"{label}.example;1", out _, out var error));
        Assert.Contains("more than 63", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_accepts_a_label_of_exactly_63_characters()
    {
        var label = new string('a', 63);
        Assert.True(AddressSpace.TryParse($"{label}.example;1", out _, out var error), error);
    }

    [Fact]
    public void TryParse_rejects_a_domain_longer_than_253_characters()
    {
        // 4 labels of 63 plus 3 dots = 255 characters.
        var domain = string.Join('.', Enumerable.Repeat(new string('a', 63), 4));
        Assert.False(AddressSpace.TryParse($"{domain};1", out _, out var error));
        Assert.Contains("more than 253", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_accepts_a_domain_of_exactly_253_characters()
    {
        var domain = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61);
        Assert.Equal(253, domain.Length);
        Assert.True(AddressSpace.TryParse($"{domain};1", out _, out var error), error);
    }

    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "a.example.com", false)]
    [InlineData("example.com", "badexample.com", false)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "b.a.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*.example.com", "[192.0.2.1]", false)]
    [InlineData("*", "example.com", true)]
    [InlineData("*", "[192.0.2.1]", true)]
    public void Matches_follows_the_pattern_kind(string pattern, string domain, bool expected)
    {
        Assert.Equal(expected, AddressSpace.Parse($"{pattern};1").Matches(domain));
    }

    [Fact]
    public void ToString_round_trips_through_Parse()
    {
        var space = AddressSpace.Parse("*.Partner.Example;5");
        Assert.Equal("*.partner.example;5", space.ToString());
        Assert.Equal(space, AddressSpace.Parse(space.ToString()));
    }
}
