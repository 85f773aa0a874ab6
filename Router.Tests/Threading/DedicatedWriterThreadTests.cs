using System.Threading.Channels;
using Router.Actors.Threading;
using Xunit;

namespace Router.Tests.Threading;

public sealed class DedicatedWriterThreadTests
{
    [Fact]
    public async Task The_writer_thread_is_woken_for_each_item_and_stops_once_the_channel_completes()
    {
        var channel = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });
        var seen = new List<int>();
        var threadNames = new HashSet<string?>();
        DedicatedWriterThread<int>? writer = null;
        var echoed = Channel.CreateUnbounded<int>();
        writer = new DedicatedWriterThread<int>("test-writer", channel.Reader, () =>
        {
            while (writer!.WaitToRead())
            {
                while (channel.Reader.TryRead(out var item))
                {
                    seen.Add(item);
                    threadNames.Add(Thread.CurrentThread.Name);
                    echoed.Writer.TryWrite(item);
                }
            }
        });
        writer.Start();

        // One at a time, so that the thread goes back to sleep on an empty channel between items.
        for (var i = 0; i < 3; i++)
        {
            channel.Writer.TryWrite(i);
            Assert.Equal(i, await echoed.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.False(writer.Stopped.IsCompleted);
        channel.Writer.Complete();
        await writer.Stopped.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(["test-writer"], threadNames);
    }

    [Fact]
    public async Task Stopped_completes_when_the_writer_loop_returns_with_the_channel_still_open()
    {
        var channel = Channel.CreateUnbounded<int>();
        var writer = new DedicatedWriterThread<int>("returning-writer", channel.Reader, () => { });

        writer.Start();

        await writer.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(channel.Writer.TryWrite(1));
    }
}
