using Router.Actors.Threading;
using Router.Testing;
using Xunit;

namespace Router.Tests.Threading;

public sealed class WakeSignalTests
{
    [Fact]
    public void A_set_before_the_wait_is_kept_until_reset_and_an_unset_wait_times_out()
    {
        var signal = new WakeSignal();
        Assert.False(signal.Wait(TimeSpan.FromMilliseconds(20)));

        signal.Set();
        Assert.True(signal.IsSet);
        Assert.True(signal.Wait(TimeSpan.Zero));
        Assert.True(signal.Wait(TimeSpan.Zero));

        signal.Reset();
        Assert.False(signal.IsSet);
        Assert.False(signal.Wait(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task Set_wakes_every_thread_that_sleeps_on_it()
    {
        var signal = new WakeSignal();
        var woken = 0;
        var sleepers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            signal.Wait();
            Interlocked.Increment(ref woken);
        }) { IsBackground = true }).ToList();
        sleepers.ForEach(t => t.Start());
        await Eventually.TrueAsync(() => sleepers.TrueForAll(t => t.ThreadState.HasFlag(ThreadState.WaitSleepJoin)), TimeSpan.FromSeconds(30),
            "the threads did not go to sleep on the signal");
        Assert.Equal(0, Volatile.Read(ref woken));

        signal.Set();

        await Eventually.TrueAsync(() => Volatile.Read(ref woken) == 3, TimeSpan.FromSeconds(30), "not every sleeping thread woke");
    }
}
