namespace Router.Actors.Spool;

/// <summary>
/// The spool's in-memory index: the live messages by queue id, the segment files oldest first, and the bytes
/// queued. Only the writer thread (and <see cref="MessageSpool.Open"/>, before the writer starts) changes it;
/// readers on other threads see it under its lock. It does no I/O but open a body stream.
/// </summary>
internal sealed class SpoolIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SpoolEntry> _messages;
    private readonly List<SpoolSegment> _segments;
    private readonly SpoolCounters _counters;
    private long _bytesQueued;
    private long _nextOrder;

    /// <summary>Takes over what recovery found.</summary>
    public SpoolIndex(SpoolRecoveryResult recovered, SpoolCounters counters)
    {
        _messages = recovered.Messages;
        _segments = recovered.Segments;
        _counters = counters;
        foreach (var entry in _messages.Values)
        {
            _bytesQueued += entry.Location.BodyLength;
        }

        _nextOrder = _messages.Count == 0 ? 0 : _messages.Values.Max(e => e.Order) + 1;
    }

    /// <summary>Every queued message, oldest first.</summary>
    public IReadOnlyList<SpooledMessage> Messages()
    {
        lock (_gate)
        {
            return _messages.Values.OrderBy(e => e.Order).Select(e => e.ToMessage()).ToArray();
        }
    }

    public SpoolStatistics Statistics()
    {
        lock (_gate)
        {
            return new SpoolStatistics(
                _messages.Count,
                _bytesQueued,
                _segments.Count,
                _counters.Fsyncs,
                _counters.DirectoryFsyncs,
                _counters.RecordsCommitted,
                _counters.Batches,
                _counters.Relocated);
        }
    }

    /// <summary>
    /// The given recipients of a message that are still pending, distinct and in order; null when the message is
    /// not queued.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the envelope's recipients.</exception>
    public int[]? PendingOf(string queueId, IReadOnlyList<int> recipientIndexes)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(queueId, out var entry))
            {
                return null;
            }

            foreach (var index in recipientIndexes)
            {
                if ((uint)index >= (uint)entry.Outcomes.Length)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(recipientIndexes), index, $"Message {queueId} has {entry.Outcomes.Length} recipients.");
                }
            }

            return recipientIndexes.Where(entry.IsPending).Distinct().Order().ToArray();
        }
    }

    /// <summary>A read-only, seekable stream over the stored body of a queued message.</summary>
    /// <exception cref="KeyNotFoundException">The message is not queued.</exception>
    public Stream OpenBody(string queueId)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(queueId, out var entry))
            {
                throw new KeyNotFoundException($"Message {queueId} is not in the spool.");
            }

            // Opened under the lock: the writer deletes a segment only after the entries have moved out of it
            // (under this lock), so the file exists now; afterwards the segment's read handle, open until the
            // stream is disposed, keeps the data readable.
            var location = entry.Location;
            var segment = location.Segment;
            return new SegmentBodyStream(segment.OpenReader(), location.BodyOffset, location.BodyLength, segment.ReaderClosed);
        }
    }

    public SpooledMessage? Find(string queueId)
    {
        lock (_gate)
        {
            return _messages.TryGetValue(queueId, out var entry) ? entry.ToMessage() : null;
        }
    }

    public bool Contains(string queueId)
    {
        lock (_gate)
        {
            return _messages.ContainsKey(queueId);
        }
    }

    /// <summary>The spool closes: every segment's read handle closes once its open body streams are done.</summary>
    public void RetireSegments()
    {
        lock (_gate)
        {
            _segments.ForEach(s => s.Retire());
        }
    }

    /// <summary>A new head segment joins the end of the log.</summary>
    public void AddSegment(SpoolSegment segment)
    {
        lock (_gate)
        {
            _segments.Add(segment);
        }
    }

    /// <summary>
    /// Makes a durable batch visible: new messages, finished recipients, relocated messages, in log order. Fills in
    /// <see cref="CommittedRecord.Message"/> of each accept; returns the queue ids of the messages that left (their
    /// last recipient finished), or null when none did.
    /// </summary>
    public List<string>? Apply(List<CommittedRecord> committed)
    {
        List<string>? left = null;
        lock (_gate)
        {
            for (var i = 0; i < committed.Count; i++)
            {
                var item = committed[i];
                switch (item.Request)
                {
                    case AcceptRequest accept:
                        {
                            var entry = new SpoolEntry(accept.QueueId, accept.Envelope, _nextOrder++, item.Location);
                            _messages.Add(entry.QueueId, entry);
                            item.Location.Segment.Live.Add(entry);
                            _bytesQueued += entry.Location.BodyLength;
                            committed[i] = item with { Message = entry.ToMessage() };
                            break;
                        }

                    case FinishRequest finish:
                        if (_messages.TryGetValue(finish.QueueId, out var finished))
                        {
                            finished.MarkFinished(finish.RecipientIndexes, (byte)finish.Outcome);
                            if (finished.Pending == 0)
                            {
                                _messages.Remove(finish.QueueId);
                                finished.Location.Segment.Live.Remove(finished);
                                _bytesQueued -= finished.Location.BodyLength;
                                (left ??= []).Add(finish.QueueId);
                            }
                        }

                        break;

                    case DeferRequest defer:
                        if (_messages.TryGetValue(defer.QueueId, out var deferred))
                        {
                            deferred.Deferrals = defer.Deferrals;
                            deferred.NextAttempt = defer.NextAttempt;
                        }

                        break;

                    case null when item.Relocated is { } moved:
                        moved.Location.Segment.Live.Remove(moved);
                        moved.Location = item.Location;
                        item.Location.Segment.Live.Add(moved);
                        _counters.MessageRelocated();
                        break;
                }
            }
        }

        return left;
    }

    /// <summary>
    /// The live, movable messages of the oldest segment in log order, up to <paramref name="maxBytes"/> of records
    /// (the last one may pass it), once more than <paramref name="maxNewerSegments"/> segments are newer; otherwise
    /// none.
    /// </summary>
    public List<SpoolEntry> OldestSegmentToMove(SpoolSegment head, int maxNewerSegments, long maxBytes)
    {
        var entries = new List<SpoolEntry>();
        lock (_gate)
        {
            if (_segments.Count - 1 <= maxNewerSegments || _segments[0] == head)
            {
                return entries;
            }

            long bytes = 0;
            foreach (var entry in _segments[0].Live.OrderBy(e => e.Location.RecordOffset))
            {
                if (entry.Unmovable)
                {
                    continue;
                }

                entries.Add(entry);
                bytes += entry.Location.RecordLength;
                if (bytes >= maxBytes)
                {
                    break;
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// Takes the oldest segments that hold no live message off the log, up to the head (or all such when there is
    /// no head yet); null when there are none. Only a prefix may go: a newer segment can hold the Finished records
    /// of messages in an older one, and losing those would resend mail.
    /// </summary>
    public List<SpoolSegment>? RemoveFinishedPrefix(SpoolSegment? head)
    {
        lock (_gate)
        {
            var count = 0;
            while (count < _segments.Count && _segments[count] != head && _segments[count].Live.Count == 0)
            {
                count++;
            }

            if (count == 0)
            {
                return null;
            }

            var finished = _segments.GetRange(0, count);
            _segments.RemoveRange(0, count);
            return finished;
        }
    }
}
