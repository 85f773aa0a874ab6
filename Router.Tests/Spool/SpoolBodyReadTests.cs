using System.Buffers;
using Router.Actors.Spool;
using Xunit;
using static Router.Tests.Spool.SpoolTestData;

namespace Router.Tests.Spool;

/// <summary>Reading a spooled message's body: through the segment's shared read handle, past the segment's deletion.</summary>
public sealed class SpoolBodyReadTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Body_stays_readable_after_its_segment_is_deleted()
    {
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1 };
        await using var spool = MessageSpool.Open(options);
        var body = Body(50_000, seed: 9);
        var accepted = await AcceptAsync(spool, body, recipients: 1);
        using var stream = spool.OpenBody(accepted.QueueId);
        var first = new byte[1000];
        stream.ReadExactly(first);

        await spool.FinishAsync(accepted.QueueId, [0], RecipientOutcome.Delivered);
        await spool.FlushAsync();

        Assert.False(File.Exists(_directory.Segment(1)));
        using var rest = new MemoryStream();
        stream.CopyTo(rest);
        Assert.Equal<byte[]>(Stored(body), [.. first, .. rest.ToArray()]);
    }

    [Fact]
    public async Task Bodies_in_one_segment_are_read_through_one_shared_handle_that_closes_once_the_segment_is_gone_and_read()
    {
        var options = new SpoolOptions(_directory.Path) { SegmentSize = 1 };
        await using var spool = MessageSpool.Open(options);
        var bodies = Enumerable.Range(0, 3).Select(i => Body(30_000 + i, seed: 60 + i)).ToArray();
        var tasks = spool.AcceptAll(bodies.Select((body, i) => ($"SHARED{i}", Envelope(recipients: 1), new ReadOnlySequence<byte>(body))).ToArray());
        var stored = await Task.WhenAll(tasks);
        var segment = _directory.Segment(1);

        var streams = stored.Select(m => spool.OpenBody(m.QueueId)).ToArray();
        Assert.Equal(1, ReadOnlyDescriptorsOf(segment));

        // Interleaved reads through the one handle: each stream keeps its own position.
        var read = bodies.Select(_ => new MemoryStream()).ToArray();
        var chunk = new byte[7_000];
        for (var more = true; more;)
        {
            more = false;
            for (var i = 0; i < streams.Length; i++)
            {
                var n = await streams[i].ReadAsync(chunk);
                read[i].Write(chunk, 0, n);
                more |= n > 0;
            }
        }

        for (var i = 0; i < bodies.Length; i++)
            Assert.Equal(bodies[i], read[i].ToArray());

        // The segment is finished and deleted while one stream is still open: that stream keeps the file readable.
        streams[0].Dispose();
        streams[1].Dispose();
        foreach (var message in stored)
            await spool.FinishAsync(message.QueueId, [0], RecipientOutcome.Delivered);
        await spool.FlushAsync();
        Assert.False(File.Exists(segment));
        Assert.Equal(1, ReadOnlyDescriptorsOf(segment));
        streams[2].Position = 0;
        using (var copy = new MemoryStream())
        {
            await streams[2].CopyToAsync(copy);
            Assert.Equal(bodies[2], copy.ToArray());
        }

        streams[2].Dispose();
        Assert.Equal(0, ReadOnlyDescriptorsOf(segment));
    }

    [Fact]
    public async Task A_body_read_completes_without_a_thread_hop_and_the_spool_closes_its_read_handles()
    {
        var body = Body(5_000, seed: 70);
        await using (var spool = MessageSpool.Open(new SpoolOptions(_directory.Path)))
        {
            var accepted = await AcceptAsync(spool, body, recipients: 1);
            await using var stream = spool.OpenBody(accepted.QueueId);
            var buffer = new byte[body.Length * 2];
            var read = stream.ReadAsync(buffer);
            Assert.True(read.IsCompletedSuccessfully);
            Assert.Equal(Stored(body), buffer.AsSpan(0, await read).ToArray());
        }

        Assert.Equal(0, ReadOnlyDescriptorsOf(_directory.Segment(1)));
    }

    /// <summary>This process's read-only descriptors open on <paramref name="path"/> (also after it was unlinked).</summary>
    private static int ReadOnlyDescriptorsOf(string path)
    {
        var count = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            string[] info;
            try
            {
                target = new FileInfo(fd).LinkTarget;
                info = File.ReadAllLines("/proc/self/fdinfo/" + System.IO.Path.GetFileName(fd));
            }
            catch (IOException)
            {
                continue; // closed meanwhile (another test's descriptor)
            }

            if (target is null || (target != path && target != path + " (deleted)"))
                continue;
            var flags = Convert.ToInt32(info.First(l => l.StartsWith("flags:", StringComparison.Ordinal))[6..].Trim(), 8);
            if ((flags & 3) == 0) // O_RDONLY
                count++;
        }

        return count;
    }
}
