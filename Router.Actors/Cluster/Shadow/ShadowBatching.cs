using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>A copy waiting to leave in a batch, and its caller's completion (null: stored; otherwise why not).</summary>
internal readonly record struct PendingCopy(ShadowCopy Item, TaskCompletionSource<string?> Done);

/// <summary>How both links (<see cref="ShadowLinkActor"/>, <see cref="ShadowSocketLink"/>) make batches and end them.</summary>
internal static class ShadowBatching
{
    /// <summary>
    /// The next batch from <paramref name="waiting"/>: in order, within <see cref="ShadowLinkActor.MaxBatchBytes"/> (a
    /// single larger copy goes alone), dropping the copies whose caller gave up (they must not land late). Empty when
    /// nothing is left to send.
    /// </summary>
    public static List<PendingCopy> Take(Queue<PendingCopy> waiting)
    {
        var copies = new List<PendingCopy>();
        var bytes = 0;
        while (waiting.TryPeek(out var next))
        {
            if (next.Done.Task.IsCompleted)
            {
                waiting.Dequeue();
                continue;
            }

            var size = next.Item.Envelope.Length + next.Item.Body.Length + next.Item.QueueId.Length + 96;
            if (copies.Count > 0 && bytes + size > ShadowLinkActor.MaxBatchBytes)
                break;
            copies.Add(waiting.Dequeue());
            bytes += size;
        }

        return copies;
    }

    /// <summary>Completes each copy of a batch with the holder's answer: stored, or the answer's error for those it lists.</summary>
    public static void Complete(IEnumerable<PendingCopy> copies, ShadowBatchStored stored)
    {
        var failed = stored.Failed.Count == 0 ? null : stored.Failed.ToHashSet(StringComparer.Ordinal);
        foreach (var copy in copies)
            copy.Done.TrySetResult(failed?.Contains(copy.Item.QueueId) == true ? stored.Error ?? "the peer could not store it" : null);
    }
}
