using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Router.Actors.Observability.Tracing;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

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
            return await StoreEachAsync(batch, tracing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ShadowBatchStored(batch.BatchId, batch.Copies.Select(c => c.QueueId).ToArray(), $"could not store the copies: {e.Message}");
        }
    }

    private async Task<ShadowBatchStored> StoreEachAsync(ShadowBatch batch, MessageTracing? tracing)
    {
        var shadows = await ShadowsOf(batch.Owner).ConfigureAwait(false);
        var copies = batch.Copies;
        var storing = new Task[copies.Count];
        var spans = new Activity?[copies.Count];
        for (var i = 0; i < copies.Count; i++)
        {
            var copy = copies[i];
            try
            {
                spans[i] = tracing?.StartShadowStore(batch.Owner, copy);
                var envelope = MessageTracing.ContinuedBy(EnvelopeCodec.Decode(copy.Envelope), spans[i]);
                storing[i] = shadows.Spool.AcceptAsync(copy.QueueId, envelope, ReadOnlyMemory<byte>.Empty, new ReadOnlySequence<byte>(copy.Body));
            }
            catch (Exception e) when (e is JsonException or ArgumentException or ObjectDisposedException)
            {
                storing[i] = Task.FromException(e);
            }
        }

        List<string>? failed = null;
        string? error = null;
        for (var i = 0; i < copies.Count; i++)
        {
            try
            {
                await storing[i].ConfigureAwait(false);
                shadows.Ids.TryAdd(copies[i].QueueId, 0);
                MessageTracing.End(spans[i]);
            }
            catch (Exception e) when (e is IOException or JsonException or ArgumentException or ObjectDisposedException or OperationCanceledException)
            {
                (failed ??= []).Add(copies[i].QueueId);
                error ??= e.Message;
                spans[i]?.SetStatus(ActivityStatusCode.Error, e.Message);
                MessageTracing.End(spans[i]);
                _logger.LogError(e, "Could not store the shadow copy of {QueueId} from {Owner}", copies[i].QueueId, batch.Owner);
            }
        }

        return new ShadowBatchStored(batch.BatchId, failed is null ? [] : failed.ToArray(), error is null ? null : $"could not store the copy: {error}");
    }
}
