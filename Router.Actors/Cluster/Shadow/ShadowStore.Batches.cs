using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability.Tracing;
using Router.Actors.Spool;
using Router.Messages.Cluster;
using Router.Messages.Serialization;
using Envelope = Router.Messages.Envelope;

namespace Router.Actors.Cluster.Shadow;

/// <summary>The holder's side of the batched copy path (<see cref="ShadowIntakeActor"/>).</summary>
public sealed partial class ShadowStore
{
    /// <summary>
    /// Stores the copies of a <see cref="ShadowBatch"/> in the owner's shadow spool, all handed to its writer together
    /// (one group commit, one fsync), and answers once all are durable: the ids that could not be stored are listed in
    /// the answer (a malformed envelope, a full disk); the others are kept. Never throws: when the owner's spool cannot
    /// be had at all, the answer lists every copy as failed, with the reason.
    /// </summary>
    public async Task<ShadowBatchStored> StoreBatchAsync(ShadowBatch batch, MessageTracing? tracing = null)
    {
        try
        {
            var storing = Begin(await ShadowsOf(batch.Owner).ConfigureAwait(false), batch, tracing, onCallerThread: false);
            foreach (var task in storing.Tasks)
                await ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return End(storing);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return AllFailed(batch, e);
        }
    }

    /// <summary>
    /// As <see cref="StoreBatchAsync"/>, on the caller's thread, which writes and fsyncs the batch itself: no wake-up of
    /// the owner's spool writer and none of this thread, where handing the batch to the writer took both, and an await
    /// a thread-pool hop per copy and one more for the answer. For a thread of its own
    /// (<see cref="ShadowSocketServer"/>'s, one per owner's connection).
    /// </summary>
    public ShadowBatchStored StoreBatch(ShadowBatch batch, MessageTracing? tracing = null)
    {
        try
        {
            var storing = Begin(ShadowsOf(batch.Owner).GetAwaiter().GetResult(), batch, tracing, onCallerThread: true);
            foreach (var task in storing.Tasks)
                ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
            return End(storing);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return AllFailed(batch, e);
        }
    }

    private static ShadowBatchStored AllFailed(ShadowBatch batch, Exception e) =>
        new(batch.BatchId, batch.Copies.Select(c => c.QueueId).ToArray(), $"could not store the copies: {e.Message}");

    /// <summary>
    /// Hands every copy of the batch to the owner's spool writer at once (one group commit); a copy whose envelope
    /// cannot be decoded fails at once.
    /// </summary>
    private static Storing Begin(OwnerShadows shadows, ShadowBatch batch, MessageTracing? tracing, bool onCallerThread)
    {
        var copies = batch.Copies;
        var tasks = new Task<SpooledMessage>[copies.Count];
        var spans = new Activity?[copies.Count];
        var decoded = new List<(string, Envelope, ReadOnlySequence<byte>)>(copies.Count);
        var slots = new List<int>(copies.Count);
        for (var i = 0; i < copies.Count; i++)
        {
            var copy = copies[i];
            try
            {
                spans[i] = tracing?.StartShadowStore(batch.Owner, copy);
                decoded.Add((copy.QueueId, MessageTracing.ContinuedBy(EnvelopeCodec.Decode(copy.Envelope), spans[i]), new ReadOnlySequence<byte>(copy.Body)));
                slots.Add(i);
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                tasks[i] = Task.FromException<SpooledMessage>(e);
            }
        }

        var stored = shadows.Spool.AcceptAll(decoded, onCallerThread);
        for (var j = 0; j < stored.Length; j++)
            tasks[slots[j]] = stored[j];
        return new Storing(shadows, batch, tasks, spans);
    }

    /// <summary>The answer, once every task of <see cref="Begin"/> has completed.</summary>
    private ShadowBatchStored End(Storing storing)
    {
        var (shadows, batch, tasks, spans) = storing;
        List<string>? failed = null;
        string? error = null;
        for (var i = 0; i < tasks.Length; i++)
        {
            var queueId = batch.Copies[i].QueueId;
            if (tasks[i].IsCompletedSuccessfully)
            {
                shadows.Ids.TryAdd(queueId, 0);
                MessageTracing.End(spans[i]);
                continue;
            }

            var e = tasks[i].Exception?.InnerException ?? new OperationCanceledException("the spool gave up the copy");
            (failed ??= []).Add(queueId);
            error ??= e.Message;
            spans[i]?.SetStatus(ActivityStatusCode.Error, e.Message);
            MessageTracing.End(spans[i]);
            _logger.LogError(e, "Could not store the shadow copy of {QueueId} from {Owner}", queueId, batch.Owner);
        }

        return new ShadowBatchStored(batch.BatchId, failed is null ? [] : failed.ToArray(), error is null ? null : $"could not store the copy: {error}");
    }

    private sealed record Storing(OwnerShadows Shadows, ShadowBatch Batch, Task<SpooledMessage>[] Tasks, Activity?[] Spans);
}
