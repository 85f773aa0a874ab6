using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Router.Actors.Cluster.Shadow;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

namespace Router.Tests.Shadow;

/// <summary>
/// The owner's shadow socket link against a real loopback listener standing in for the holder: it presents the token,
/// copies that arrive while a batch is on its way leave together in the next, and a holder that stops answering
/// closes the link, failing the copies on their way and handing back those not sent.
/// </summary>
public sealed class ShadowSocketLinkTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly byte[] Token = Enumerable.Range(1, ShadowSocketFrames.TokenBytes).Select(i => (byte)i).ToArray();
    private readonly TcpListener _holder = new(IPAddress.Loopback, 0);
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ShadowSocketLinkTests() => _holder.Start();

    public void Dispose() => _holder.Stop();

    [Fact]
    public async Task The_link_presents_the_token_and_copies_that_wait_leave_together_in_the_next_batch()
    {
        var (link, holder) = await ConnectAsync();
        using (holder)
        {
            var first = Send(link, "Q1");
            var batch1 = ShadowBatchCodec.Decode(ShadowSocketFrames.Read(holder)!);
            Assert.Equal(["Q1"], batch1.Copies.Select(c => c.QueueId));
            var second = Send(link, "Q2");
            var third = Send(link, "Q3");

            ShadowSocketFrames.Write(holder, ShadowBatchCodec.EncodeStored(new ShadowBatchStored(batch1.BatchId, [], null)));
            Assert.Null(await first.Task.WaitAsync(Timeout));
            var batch2 = ShadowBatchCodec.Decode(ShadowSocketFrames.Read(holder)!);
            Assert.Equal(["Q2", "Q3"], batch2.Copies.Select(c => c.QueueId));
            Assert.False(second.Task.IsCompleted);

            ShadowSocketFrames.Write(holder, ShadowBatchCodec.EncodeStored(new ShadowBatchStored(batch2.BatchId, ["Q3"], "disk full")));
            Assert.Null(await second.Task.WaitAsync(Timeout));
            Assert.Equal("disk full", await third.Task.WaitAsync(Timeout));
            Assert.False(_closed.Task.IsCompleted);
        }
    }

    [Fact]
    public async Task A_holder_that_does_not_answer_closes_the_link_failing_the_batch_on_its_way_and_handing_back_the_rest()
    {
        var (link, holder) = await ConnectAsync();
        using (holder)
        {
            var onItsWay = Send(link, "Q1");
            Assert.NotNull(ShadowSocketFrames.Read(holder));
            var waiting = Send(link, "Q2");

            Assert.Contains("no acknowledgement", await onItsWay.Task.WaitAsync(Timeout * 5));
            Assert.Equal(ShadowSocketLink.NotSent, await waiting.Task.WaitAsync(Timeout));
            Assert.Contains("no acknowledgement", await _closed.Task.WaitAsync(Timeout));
            Assert.False(link.TrySend(new ShadowCopy("Q3", [1], [2]), new TaskCompletionSource<string?>()));
        }
    }

    [Fact]
    public async Task A_holder_that_closes_the_connection_fails_the_batch_on_its_way()
    {
        var (link, holder) = await ConnectAsync();
        var onItsWay = Send(link, "Q1");
        Assert.NotNull(ShadowSocketFrames.Read(holder));
        holder.Dispose();

        Assert.Contains("closed the shadow connection", await onItsWay.Task.WaitAsync(Timeout));
        await _closed.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task An_answered_copy_goes_on_on_the_links_reading_thread_after_the_next_batch_left_and_outside_its_lock()
    {
        var (link, holder) = await ConnectAsync();
        using (holder)
        {
            // A completion with inline continuations, as the replicator gives the socket path.
            var first = new TaskCompletionSource<string?>();
            Assert.True(link.TrySend(new ShadowCopy("Q1", [1, 2], new byte[10]), first));
            var batch1 = ShadowBatchCodec.Decode(ShadowSocketFrames.Read(holder)!);
            var second = Send(link, "Q2");
            var seen = first.Task.ContinueWith(_ =>
            {
                // Another thread can queue a copy meanwhile: the link's lock is not held while its copies complete.
                var other = Task.Run(() => link.TrySend(new ShadowCopy("Q3", [1], [3]), new TaskCompletionSource<string?>()));
                var notBlocked = SpinWait.SpinUntil(() => other.IsCompleted, TimeSpan.FromSeconds(10));
                return (Thread.CurrentThread.Name, notBlocked);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

            ShadowSocketFrames.Write(holder, ShadowBatchCodec.EncodeStored(new ShadowBatchStored(batch1.BatchId, [], null)));

            var (thread, notBlocked) = await seen.WaitAsync(Timeout * 5);
            Assert.Equal("shadow-link", thread);
            Assert.True(notBlocked);
            // Q2 had left before Q1's session went on; Q3, queued meanwhile, waits for the next batch.
            var batch2 = ShadowBatchCodec.Decode(ShadowSocketFrames.Read(holder)!);
            Assert.Equal(["Q2"], batch2.Copies.Select(c => c.QueueId));
            Assert.False(second.Task.IsCompleted);
        }
    }

    [Fact]
    public async Task A_holder_that_refuses_the_token_fails_the_connection()
    {
        var connecting = ShadowSocketLink.ConnectAsync(new Address("akka.tcp", "router", "127.0.0.1", 1), Endpoint(), "owner#1", Timeout, null,
            reason => _closed.TrySetResult(reason));
        using (var holder = await _holder.AcceptSocketAsync().WaitAsync(Timeout))
        {
            var hello = new byte[ShadowSocketFrames.Hello.Length + ShadowSocketFrames.TokenBytes];
            ShadowSocketFrames.ReadExactly(holder, hello, endAllowed: false);
            Assert.Equal(Token, hello[ShadowSocketFrames.Hello.Length..]);
        }

        await Assert.ThrowsAsync<IOException>(() => connecting.WaitAsync(Timeout));
    }

    private ShadowEndpoint Endpoint() => new(((IPEndPoint)_holder.LocalEndpoint).Port, Convert.ToHexString(Token));

    private async Task<(ShadowSocketLink Link, Socket Holder)> ConnectAsync()
    {
        var connecting = ShadowSocketLink.ConnectAsync(new Address("akka.tcp", "router", "127.0.0.1", 1), Endpoint(), "owner#1", Timeout, null,
            reason => _closed.TrySetResult(reason));
        var holder = await _holder.AcceptSocketAsync().WaitAsync(Timeout);
        var hello = new byte[ShadowSocketFrames.Hello.Length + ShadowSocketFrames.TokenBytes];
        ShadowSocketFrames.ReadExactly(holder, hello, endAllowed: false);
        Assert.Equal(Token, hello[ShadowSocketFrames.Hello.Length..]);
        holder.Send([ShadowSocketFrames.Accepted]);
        return (await connecting.WaitAsync(Timeout), holder);
    }

    private static TaskCompletionSource<string?> Send(ShadowSocketLink link, string queueId)
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(link.TrySend(new ShadowCopy(queueId, [1, 2], new byte[10]), done));
        return done;
    }
}
