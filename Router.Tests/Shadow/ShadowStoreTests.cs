using System.Buffers;
using System.Text;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Serialization;
using Router.Tests.Integration;
using Envelope = Router.Messages.Envelope;

namespace Router.Tests.Shadow;

/// <summary>The holder's shadow spools on disk: kept per owner across restarts, discarded by id, promoted into the main queue.</summary>
public sealed class ShadowStoreTests : IDisposable
{
    private const string Owner = "akka.tcp://router@10.0.0.1:4053#-1234";
    private readonly string _dir = TestRouter.NewSpoolPath();

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Copies_survive_a_restart_of_the_holder_and_are_discarded_by_the_owners_queue_id()
    {
        await using (var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance))
        {
            Assert.Equal("Q1", await StoreAsync(store, "Q1", "one"));
            await StoreAsync(store, "Q2", "two");
            Assert.Equal(2, store.Count(Owner));
        }

        await using var reopened = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        Assert.Equal([Owner], reopened.Owners);
        Assert.Equal(2, reopened.Count());

        Assert.Equal(1, await reopened.DiscardAsync(Owner, ["Q1", "unknown"]));
        Assert.Equal(0, await reopened.DiscardAsync("akka.tcp://router@10.0.0.9:4053#1", ["Q2"]));
        Assert.Equal(1, reopened.Count(Owner));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_keeps_its_good_copies_and_answers_the_malformed_one_as_failed(bool onTheCallersThread)
    {
        var envelope = EnvelopeCodec.Encode(new Envelope("a@example.org", ["b@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client"));
        var batch = new ShadowBatch(Owner, 7,
        [
            new ShadowCopy("Q1", envelope, Encoding.ASCII.GetBytes("one\r\n")),
            new ShadowCopy("Q2", Encoding.ASCII.GetBytes("{not an envelope"), Encoding.ASCII.GetBytes("two\r\n")),
            new ShadowCopy("Q3", envelope, Encoding.ASCII.GetBytes("three\r\n")),
        ]);
        await using (var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance))
        {
            var answer = onTheCallersThread ? await Task.Run(() => store.StoreBatch(batch)) : await store.StoreBatchAsync(batch);

            Assert.Equal(7, answer.BatchId);
            Assert.Equal(["Q2"], answer.Failed);
            Assert.StartsWith("could not store the copy: ", answer.Error);
            Assert.Equal(2, store.Count(Owner));
        }

        await using var reopened = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        Assert.Equal(2, reopened.Count(Owner));
        Assert.Equal(2, await reopened.DiscardAsync(Owner, ["Q1", "Q2", "Q3"]));
    }

    [Fact]
    public async Task Promotion_queues_each_copy_with_its_stored_bytes_and_removes_the_owners_folder()
    {
        var main = new SpoolOptions(Path.Combine(_dir, "main"));
        var spool = MessageSpool.Open(main);
        await using var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        await StoreAsync(store, "Q1", "first body");
        await StoreAsync(store, "Q2", "second body");
        var folder = Path.Combine(_dir, "shadow", ShadowStore.FolderName(Owner));
        Assert.True(Directory.Exists(folder));

        Assert.Equal(2, await store.PromoteAsync(Owner, spool, ActorRefs.Nobody));

        Assert.Equal(2, spool.Statistics.MessagesQueued);
        await spool.DisposeAsync();
        // Durable: the main spool, reopened, has both with the bytes the owner stored.
        await using var reopened = MessageSpool.Open(main);
        var bodies = new List<string>();
        foreach (var id in reopened.Recovered.Select(m => m.QueueId))
        {
            await using var body = reopened.OpenBody(id);
            bodies.Add(await new StreamReader(body).ReadToEndAsync());
        }

        Assert.Equal(["Received: x\r\n\r\nfirst body\r\n", "Received: x\r\n\r\nsecond body\r\n"], bodies.Order());
        Assert.Empty(store.Owners);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Dropping_an_owner_deletes_its_copies()
    {
        await using var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        await StoreAsync(store, "Q1", "body");

        Assert.Equal(1, await store.DropOwnerAsync(Owner));

        Assert.Empty(store.Owners);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_dir, "shadow")));
    }

    [Fact]
    public async Task A_retirement_survives_a_restart_of_the_holder_and_promotion_delivers_only_the_recipients_left()
    {
        await using (var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance))
        {
            await StoreAsync(store, "Q1", "partly handed over", "r0@a.example", "r1@b.example", "r2@c.example");
            await StoreAsync(store, "Q2", "all handed over", "r0@a.example", "r1@b.example");

            Assert.Equal(new ShadowRetirementResult(2, []), await store.RetireAsync(Owner, "Q1", [0, 2]), Same);
            Assert.Equal(new ShadowRetirementResult(0, []), await store.RetireAsync(Owner, "Q1", [2]), Same);
            Assert.Equal(new ShadowRetirementResult(1, []), await store.RetireAsync(Owner, "Q2", [0]), Same);
            Assert.Equal(new ShadowRetirementResult(1, []), await store.RetireAsync(Owner, "Q2", [1]), Same);
            Assert.Equal(new ShadowRetirementResult(0, []), await store.RetireAsync(Owner, "Q9", [0]), Same);
            Assert.Equal(1, store.Count(Owner));
        }

        // Killed or not, the holder comes back with the retirements: Q2 is gone, Q1 holds r1 only.
        await using var reopened = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        Assert.Equal(1, reopened.Count(Owner));
        var main = new SpoolOptions(Path.Combine(_dir, "main"));
        var spool = MessageSpool.Open(main);

        Assert.Equal(1, await reopened.PromoteAsync(Owner, spool, ActorRefs.Nobody));

        await spool.DisposeAsync();
        await using var queued = MessageSpool.Open(main);
        var promoted = Assert.Single(queued.Recovered);
        Assert.Equal(["r1@b.example"], promoted.Envelope.Recipients);
        await using var body = queued.OpenBody(promoted.QueueId);
        Assert.Equal("Received: x\r\n\r\npartly handed over\r\n", await new StreamReader(body).ReadToEndAsync());
    }

    [Fact]
    public async Task A_retirement_that_comes_after_the_promotion_is_told_which_recipients_the_holder_promoted()
    {
        await using var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        await using var spool = MessageSpool.Open(new SpoolOptions(Path.Combine(_dir, "main")));
        await StoreAsync(store, "Q1", "body", "r0@a.example", "r1@b.example", "r2@c.example");
        Assert.Equal(1, (await store.RetireAsync(Owner, "Q1", [2])).Retired);

        Assert.Equal(1, await store.PromoteAsync(Owner, spool, ActorRefs.Nobody));

        // r2 was retired before the promotion (a peer delivers it); r0 and r1 were promoted (this node delivers them).
        Assert.Equal(new ShadowRetirementResult(0, [1]), await store.RetireAsync(Owner, "Q1", [1, 2]), Same);
        Assert.Equal(new ShadowRetirementResult(0, []), await store.RetireAsync(Owner, "Q2", [0]), Same);
    }

    [Fact]
    public async Task Retirements_racing_a_promotion_leave_each_recipient_either_retired_or_promoted_never_both_never_neither()
    {
        const int copies = 200;
        await using var store = ShadowStore.Open(_dir, 1 << 20, NullLogger.Instance);
        var main = new SpoolOptions(Path.Combine(_dir, "main"));
        var spool = MessageSpool.Open(main);
        for (var i = 0; i < copies; i++)
            await StoreAsync(store, $"Q{i:D3}", $"body {i}", "r0@a.example", "r1@b.example");

        var promotion = store.PromoteAsync(Owner, spool, ActorRefs.Nobody);
        var retirements = Enumerable.Range(0, copies).Select(i => store.RetireAsync(Owner, $"Q{i:D3}", [1])).ToArray();
        await promotion;
        var results = await Task.WhenAll(retirements);
        var promotedBack = results.Select(r => r.Promoted).ToArray();
        // Each retirement either retired r1 or was told it was promoted.
        Assert.All(results, r => Assert.True(r.Retired + r.Promoted.Count == 1));

        // r0 is promoted for every copy; r1 is promoted exactly where the retirement was answered "promoted".
        await spool.DisposeAsync();
        await using var reopened = MessageSpool.Open(main);
        var queued = reopened.Recovered;
        Assert.Equal(copies, queued.Count(m => m.Envelope.Recipients.Contains("r0@a.example")));
        Assert.Equal(promotedBack.Count(p => p.Count == 1), queued.Count(m => m.Envelope.Recipients.Contains("r1@b.example")));
        Assert.All(promotedBack, p => Assert.True(p.Count == 0 || p.SequenceEqual([1])));
    }

    [Fact]
    public void An_owner_is_parsed_from_its_unique_address_and_named_safely_on_disk()
    {
        Assert.True(ShadowKeeperActor.TryParseOwner(Owner, out var address, out var uid));
        Assert.Equal("akka.tcp://router@10.0.0.1:4053", address.ToString());
        Assert.Equal(-1234, uid);
        Assert.False(ShadowKeeperActor.TryParseOwner("akka.tcp://router@10.0.0.1:4053", out _, out _));
        Assert.Equal("router@10.0.0.1_4053_-1234", ShadowStore.FolderName(Owner));
    }

    private static readonly ShadowRetirementComparer Same = new();

    private sealed class ShadowRetirementComparer : IEqualityComparer<ShadowRetirementResult>
    {
        public bool Equals(ShadowRetirementResult? x, ShadowRetirementResult? y) =>
            x is not null && y is not null && x.Retired == y.Retired && x.Promoted.SequenceEqual(y.Promoted);

        public int GetHashCode(ShadowRetirementResult obj) => obj.Retired;
    }

    private static async Task<string> StoreAsync(ShadowStore store, string queueId, string text, params string[] recipients)
    {
        var envelope = new Envelope("a@example.org", recipients.Length > 0 ? recipients : ["b@example.com"], DateTimeOffset.UtcNow, "192.0.2.1", "client");
        var body = Encoding.ASCII.GetBytes($"Received: x\r\n\r\n{text}\r\n");
        return await store.StoreAsync(new PeerOffer("t", TransferKind.Shadow, Owner, queueId, 1, body.Length), envelope, new ReadOnlySequence<byte>(body));
    }
}
