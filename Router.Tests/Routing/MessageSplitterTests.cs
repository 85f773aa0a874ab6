using Router.Actors.Routing;
using Router.Messages;
using Router.Messages.Routing;

namespace Router.Tests.Routing;

public sealed class MessageSplitterTests
{
    private static readonly AddressSpaceTable Table = new([
        ("internet", [AddressSpace.Parse("*;1")]),
        ("internet-2", [AddressSpace.Parse("*;1")]),
        ("partner", [AddressSpace.Parse("partner.example;1"), AddressSpace.Parse("*.partner.example;5")]),
        ("internal", [AddressSpace.Parse("corp.example;1")]),
    ]);

    private static MessageSpooled Message(params string[] recipients) =>
        new("Q1", new Envelope("s@example.org", recipients, DateTimeOffset.UnixEpoch, "127.0.0.1", "client"), 100,
            Enumerable.Range(0, recipients.Length).ToArray());

    [Fact]
    public void Recipients_with_the_same_route_travel_in_one_job()
    {
        var jobs = MessageSplitter.Split(Message("a@x.example", "b@y.example", "c@x.example"), Table, out var unroutable);
        var job = Assert.Single(jobs).Job;
        Assert.Equal([0, 1, 2], job.RecipientIndexes);
        Assert.Equal(["a@x.example", "b@y.example", "c@x.example"], job.Recipients);
        Assert.Empty(unroutable);
    }

    [Fact]
    public void Recipients_with_different_routes_are_split_by_route()
    {
        var jobs = MessageSplitter.Split(Message("a@partner.example", "b@other.example", "c@corp.example", "d@PARTNER.EXAMPLE", "e@sub.partner.example"),
            Table, out _);
        var byIndexes = jobs.Select(j => string.Join(",", j.Job.RecipientIndexes)).OrderBy(x => x).ToArray();
        Assert.Equal(["0,3", "1", "2", "4"], byIndexes);
        Assert.All(jobs, j => Assert.Equal("Q1", j.Job.QueueId));
        Assert.Equal(4, jobs.Select(j => j.Job.RouteKey).Distinct().Count());
    }

    [Fact]
    public void Only_pending_recipients_are_placed()
    {
        var message = Message("a@x.example", "b@x.example", "c@x.example") with { PendingRecipients = [2] };
        var job = Assert.Single(MessageSplitter.Split(message, Table, out _)).Job;
        Assert.Equal([2], job.RecipientIndexes);
        Assert.Equal(["c@x.example"], job.Recipients);
    }

    [Fact]
    public void Recipients_no_address_space_matches_are_reported_unroutable()
    {
        var table = new AddressSpaceTable([("only", [AddressSpace.Parse("corp.example;1")])]);
        var jobs = MessageSplitter.Split(Message("a@corp.example", "b@else.example"), table, out var unroutable);
        Assert.Equal([0], Assert.Single(jobs).Job.RecipientIndexes);
        Assert.Equal([1], unroutable);
    }
}
