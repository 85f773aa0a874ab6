using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Router.Actors.Cluster.Shadow;
using Router.Messages.Cluster;

namespace Router.Tests.Shadow;

/// <summary>
/// The owner's shadow link, against a probe standing in for the peer's intake (at its real path,
/// <c>/user/shadow-intake</c>, reached through the same actor selection as a remote one): one batch on the way at a
/// time, the copies that arrive meanwhile leave together, answers and time-outs reach each copy's caller, and a
/// withdrawn copy is never sent.
/// </summary>
public sealed class ShadowLinkActorTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private readonly TestProbe _intake;
    private readonly IActorRef _links;
    private readonly Address _peer;

    public ShadowLinkActorTests()
    {
        _intake = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new Forwarder(_intake.Ref)), ShadowIntakeActor.Name);
        _peer = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        _links = Sys.ActorOf(ShadowLinkActor.Props(Timeout), ShadowLinkActor.Name);
    }

    private TaskCompletionSource<string?> Send(string queueId, int bodyBytes = 10)
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _links.Tell(new ShadowLinkActor.Copy(_peer, new ShadowCopy(queueId, [1, 2], new byte[bodyBytes]), done));
        return done;
    }

    [Fact]
    public async Task Copies_that_arrive_while_a_batch_is_on_its_way_leave_together_in_the_next()
    {
        var first = Send("Q1");
        var batch1 = _intake.ExpectMsg<ShadowBatch>();
        Assert.Equal(["Q1"], batch1.Copies.Select(c => c.QueueId));
        var second = Send("Q2");
        var third = Send("Q3");
        _intake.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        _links.Tell(new ShadowBatchStored(batch1.BatchId, [], null));
        Assert.Null(await first.Task.WaitAsync(Timeout));
        var batch2 = _intake.ExpectMsg<ShadowBatch>();
        Assert.Equal(["Q2", "Q3"], batch2.Copies.Select(c => c.QueueId));
        Assert.NotEqual(batch1.BatchId, batch2.BatchId);
        Assert.False(second.Task.IsCompleted);

        _links.Tell(new ShadowBatchStored(batch2.BatchId, ["Q3"], "could not store the copy: disk full"));
        Assert.Null(await second.Task.WaitAsync(Timeout));
        Assert.Equal("could not store the copy: disk full", await third.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_batch_without_an_answer_fails_its_copies_and_a_withdrawn_copy_is_not_sent()
    {
        var lost = Send("Q1");
        var batch1 = _intake.ExpectMsg<ShadowBatch>();
        var withdrawn = Send("Q2");
        var kept = Send("Q3");
        withdrawn.TrySetResult("withdrawn");

        Assert.Contains("no acknowledgement", await lost.Task.WaitAsync(Timeout * 2));
        var batch2 = _intake.ExpectMsg<ShadowBatch>();
        Assert.Equal(["Q3"], batch2.Copies.Select(c => c.QueueId));

        // The first batch's late answer changes nothing; the second's completes its copy.
        _links.Tell(new ShadowBatchStored(batch1.BatchId, [], null));
        _links.Tell(new ShadowBatchStored(batch2.BatchId, [], null));
        Assert.Null(await kept.Task.WaitAsync(Timeout));
    }

    [Fact]
    public void A_batch_stays_under_the_remoting_frame_so_big_copies_are_split_across_batches()
    {
        var size = ShadowLinkActor.MaxBatchBytes / 3;
        var ids = Enumerable.Range(1, 4).Select(i => $"Q{i}").ToArray();
        foreach (var id in ids)
            Send(id, size);

        var seen = new List<string>();
        while (seen.Count < ids.Length)
        {
            var batch = _intake.ExpectMsg<ShadowBatch>();
            Assert.True(batch.Copies.Sum(c => c.Body.Length + c.Envelope.Length) <= ShadowLinkActor.MaxBatchBytes);
            seen.AddRange(batch.Copies.Select(c => c.QueueId));
            _links.Tell(new ShadowBatchStored(batch.BatchId, [], null));
        }

        Assert.Equal(ids, seen);
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(m => target.Forward(m));
    }
}
