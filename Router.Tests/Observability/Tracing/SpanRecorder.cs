using System.Collections;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Router.Actors.Observability.Tracing;

namespace Router.Tests.Observability.Tracing;

/// <summary>
/// Records every span of the router's <see cref="ActivitySource"/> in this process through OpenTelemetry's in-memory
/// exporter, all of them sampled. Listeners are process-wide: nodes of other tests running meanwhile are recorded too,
/// so a test picks its message's trace by the queue id of its accept span.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly SpanList _spans = new();
    private readonly TracerProvider _provider;

    public SpanRecorder() =>
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(MessageTracing.SourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build();

    public IReadOnlyList<Activity> All => _spans.Snapshot();

    /// <summary>The spans of the trace whose accept span carries <paramref name="queueId"/>, once <paramref name="complete"/> holds for them.</summary>
    public async Task<IReadOnlyList<Activity>> TraceOfAsync(string queueId, Func<IReadOnlyList<Activity>, bool> complete, TimeSpan timeout)
    {
        IReadOnlyList<Activity> trace = [];
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var all = All;
            var accept = all.FirstOrDefault(s => s.OperationName == TraceAttributes.AcceptSpan && Tag(s, TraceAttributes.QueueId) == queueId);
            trace = accept is null ? [] : all.Where(s => s.TraceId == accept.TraceId).ToArray();
            if (accept is not null && complete(trace))
                return trace;
            await Task.Delay(50);
        }
        Assert.Fail($"the trace of {queueId} was not complete within {timeout.TotalSeconds}s; it has: " + Describe(trace));
        return trace;
    }

    public static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    public static string Describe(IEnumerable<Activity> spans) =>
        string.Join("; ", spans.Select(s => $"{s.OperationName} [{s.SpanId} <- {s.ParentSpanId}] " +
            string.Join(",", s.TagObjects.Select(t => $"{t.Key}={t.Value}"))));

    public void Dispose() => _provider.Dispose();

    /// <summary>The exporter's collection: spans end on many threads, and the test reads while they do.</summary>
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get { lock (_items) return _items.Count; }
        }

        public bool IsReadOnly => false;

        public IReadOnlyList<Activity> Snapshot()
        {
            lock (_items)
                return _items.ToArray();
        }

        public void Add(Activity item)
        {
            lock (_items)
                _items.Add(item);
        }

        public void Clear()
        {
            lock (_items)
                _items.Clear();
        }

        public bool Contains(Activity item)
        {
            lock (_items)
                return _items.Contains(item);
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (_items)
                _items.CopyTo(array, arrayIndex);
        }

        public bool Remove(Activity item)
        {
            lock (_items)
                return _items.Remove(item);
        }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
