using Akka.Actor;
using Akka.TestKit.Xunit2;
using Router.Actors.Delivery;
using Router.Actors.Spool;
using Router.Messages.Delivery;
using Router.Testing;
using Router.Tests.Spool;

namespace Router.Tests.Delivery;

/// <summary>The outcome actor over a real spool, with a bounce sender the test holds open.</summary>
public sealed class OutcomeActorTests : TestKit, IAsyncLifetime
{
    private readonly SpoolTestDirectory _directory = new();
    private readonly HeldBounces _bounces = new();
    private MessageSpool _spool = null!;

    public async Task InitializeAsync()
    {
        _spool = MessageSpool.Open(new SpoolOptions(_directory.Path));
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _spool.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Deliveries_are_journaled_while_a_bounce_is_still_being_sent_and_the_failure_is_journaled_after_it()
    {
        var message = await SpoolTestData.AcceptAsync(_spool, SpoolTestData.Body(100, 1), recipients: 3);
        var outcomes = Sys.ActorOf(OutcomeActor.Props(_spool, _bounces));

        outcomes.Tell(new RecipientsFailed(message.QueueId, [new FailedRecipient(0, "5.1.1", "550 no such user", "fw-a")]));
        await _bounces.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        outcomes.Tell(new RecipientsDelivered(message.QueueId, [1]));

        await Eventually.TrueAsync(() => !Pending(message.QueueId).Contains(1), TimeSpan.FromSeconds(10), "recipient 1 journaled as delivered");
        Assert.Contains(0, Pending(message.QueueId));
        _bounces.Release.SetResult();
        await Eventually.TrueAsync(() => !Pending(message.QueueId).Contains(0), TimeSpan.FromSeconds(10), "recipient 0 journaled as failed after its bounce");
        Assert.Equal([2], Pending(message.QueueId));
    }

    [Fact]
    public async Task Failures_are_finished_one_at_a_time_in_order()
    {
        var message = await SpoolTestData.AcceptAsync(_spool, SpoolTestData.Body(100, 2), recipients: 3);
        var outcomes = Sys.ActorOf(OutcomeActor.Props(_spool, _bounces));

        outcomes.Tell(new RecipientsFailed(message.QueueId, [new FailedRecipient(0, "5.1.1", "550 no", "fw-a")]));
        outcomes.Tell(new RecipientsFailed(message.QueueId, [new FailedRecipient(1, "5.1.1", "550 no", "fw-a")]));
        await _bounces.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _bounces.Calls);
        _bounces.Release.SetResult();
        await Eventually.TrueAsync(() => Pending(message.QueueId).SequenceEqual([2]), TimeSpan.FromSeconds(10), "both failures journaled");
        Assert.Equal(2, _bounces.Calls);
    }

    private IReadOnlyList<int> Pending(string queueId) => _spool.Find(queueId)?.PendingRecipients ?? [];

    /// <summary>Holds every bounce until the test releases it.</summary>
    private sealed class HeldBounces : IBounceSender
    {
        private int _calls;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public async Task SendAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> failed)
        {
            Interlocked.Increment(ref _calls);
            Started.TrySetResult();
            await Release.Task;
        }

        public Task SendDelayAsync(SpooledMessage original, IReadOnlyList<FailedRecipient> delayed, DateTimeOffset willRetryUntil) => Task.CompletedTask;
    }
}
