using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Router.Actors.Cluster.Shadow;
using Router.Messages;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

// The holder's side of a shadow copy without the transport: ShadowStore.StoreBatchAsync with batches of B copies of
// a 1 KB message, one batch after another (a link has one batch in flight), and discards in batches of 500 as an
// owner's discard actor sends them. Prints the CPU per copy. Run by bench/shadow-store.sh.
// usage: shadow-store BATCH COPIES WARM
// As the router does (Program.NoIdleSpinOnOneCpu): no idle thread-pool spin under a one-CPU quota.
if (Environment.ProcessorCount == 1 && Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is null)
    AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0);
if (args.Length != 3) { Console.Error.WriteLine("usage: shadow-store BATCH COPIES WARM"); return 2; }
var batch = int.Parse(args[0]); var total = int.Parse(args[1]); var warm = int.Parse(args[2]);
var dir = Path.Combine(Path.GetTempPath(), "storebench-" + Guid.NewGuid().ToString("N"));
var store = ShadowStore.Open(dir, 64L * 1024 * 1024, NullLogger.Instance);
const string owner = "akka.tcp://router@127.0.0.1:40000#12345";
var env = EnvelopeCodec.Encode(new Envelope("bench@example.test", ["rcpt@example.test"], DateTimeOffset.UtcNow, "127.0.0.1", "client.test"));
var body = new byte[1024 + 300]; Array.Fill(body, (byte)'x');
long next = 0, batchId = 0;
async Task Run(int count)
{
    var ids = new List<string>();
    for (var done = 0; done < count; done += batch)
    {
        var copies = Enumerable.Range(0, batch).Select(_ => new ShadowCopy($"Q{Interlocked.Increment(ref next):D12}", env, body)).ToArray();
        var r = await store.StoreBatchAsync(new ShadowBatch(owner, ++batchId, copies));
        if (r.Failed.Count > 0) throw new Exception(r.Error);
        ids.AddRange(copies.Select(c => c.QueueId));
        if (ids.Count >= 500) { await store.DiscardAsync(owner, ids.ToArray()); ids.Clear(); }
    }
    if (ids.Count > 0) await store.DiscardAsync(owner, ids.ToArray());
}
await Run(warm);
var p = Process.GetCurrentProcess(); p.Refresh();
var cpu0 = p.TotalProcessorTime; var sw = Stopwatch.StartNew();
await Run(total);
p.Refresh();
var cpu = (p.TotalProcessorTime - cpu0).TotalMilliseconds;
Console.WriteLine($"batch {batch}: {total} copies in {sw.Elapsed.TotalSeconds:F1} s, {total / sw.Elapsed.TotalSeconds:F0}/s, CPU {cpu / total * 1000:F0} us per copy (process {Environment.ProcessorCount} cpu)");
await store.DisposeAsync();
Directory.Delete(dir, true);
return 0;
