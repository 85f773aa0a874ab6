using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Router.Actors.Configuration;
using Router.Actors.Threading;

namespace Router.Actors.Observability.Tracking;

/// <summary>
/// The message tracking log of one node: one JSON line per <see cref="TrackingEvent"/>, in files
/// <c>tracking-NNNNNN.jsonl</c> that rotate by size, the newest <c>retain-files</c> kept.
/// <see cref="Write"/> never blocks: it queues the event for one writer thread, which writes in
/// batches (no fsync: the log is for people, the spool is the record). When the writer's queue is
/// full, because the disk cannot keep up, the event is dropped and counted
/// (<c>router_tracking_events_dropped_total</c>) so that the mail never waits for its own log.
/// <see cref="FindAsync"/> answers "what happened to this message" from the files (<see cref="TrackingLogSearch"/>).
/// </summary>
public sealed class MessageTrackingLog : IAsyncDisposable
{
    private const int MaxBatch = 4096;

    /// <summary>
    /// How long the writer rests after a batch before it looks again. Under load the events of many sessions arrive one
    /// by one, and a writer woken for each cost every event a context switch (on the writer and on the thread that woke
    /// it); resting, it takes what arrived meanwhile as one batch. An event reaches the file at most this much later;
    /// <see cref="FlushAsync"/> (and so <see cref="FindAsync"/>) and shutdown cut the rest short.
    /// </summary>
    internal static readonly TimeSpan DefaultGatherWindow = TimeSpan.FromMilliseconds(50);

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The log is read with grep and jq, never embedded in HTML: keep <message@id> readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    // Replaced by a reload (file size and retention; being on and the directory need a restart).
    private TrackingOptions _options;
    private readonly string _node;
    private readonly RouterMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Func<string, Stream> _openFile;
    private readonly Channel<Item> _queue;
    private readonly DedicatedWriterThread<Item>? _writer;
    private readonly WakeSignal _hurry = new();
    private readonly TimeSpan _gatherWindow;
    private readonly List<(long Sequence, string Path)> _files;
    private long _dropped;
    private Stream? _file;
    private long _fileLength;
    private DateTime _lastErrorLogged = DateTime.MinValue;
    private int _disposed;

    private MessageTrackingLog()
    {
        _options = new TrackingOptions { Enabled = false };
        _node = string.Empty;
        _logger = NullLogger.Instance;
        _openFile = _ => Stream.Null;
        _queue = Channel.CreateBounded<Item>(1);
        _files = [];
    }

    /// <summary>Opens (or continues) the log in <see cref="TrackingOptions.Directory"/> and starts its writer.</summary>
    /// <param name="node">Stamped on every line (<see cref="TrackingEvent.Node"/>).</param>
    /// <param name="metrics">Counts written and dropped events; optional.</param>
    public MessageTrackingLog(TrackingOptions options, string node, RouterMetrics? metrics = null, ILogger? logger = null)
        : this(options, node, metrics, logger, OpenForAppend)
    {
    }

    /// <summary>As the public constructor, with the file opener (tests: a slow disk) and the rest between batches replaced.</summary>
    internal MessageTrackingLog(TrackingOptions options, string node, RouterMetrics? metrics, ILogger? logger, Func<string, Stream> openFile,
        TimeSpan? gatherWindow = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
            throw new ArgumentException("Use MessageTrackingLog.Disabled for a disabled log.", nameof(options));
        _options = options;
        _node = node;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _openFile = openFile;
        _gatherWindow = gatherWindow ?? DefaultGatherWindow;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            AllowSynchronousContinuations = false,
        });
        System.IO.Directory.CreateDirectory(options.Directory);
        _files = TrackingLogFiles.List(options.Directory);
        _writer = new DedicatedWriterThread<Item>("tracking-writer", _queue.Reader, RunWriter);
        _writer.Start();
    }

    /// <summary>A log that writes nothing and finds nothing (<c>router.tracking.enabled = off</c>).</summary>
    public static MessageTrackingLog Disabled { get; } = new();

    /// <summary>Whether events are written; callers skip building them when not.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>A reload: the new <c>max-file-size</c> and <c>retain-files</c> apply from the next event on (being on and the directory need a restart).</summary>
    public void Reconfigure(TrackingOptions options)
    {
        if (Enabled && options.Enabled)
            Volatile.Write(ref _options, _options with { MaxFileSize = options.MaxFileSize, RetainFiles = options.RetainFiles });
    }

    /// <summary>The folder of the log files.</summary>
    public string Directory => _options.Directory;

    /// <summary>Events dropped since start because the writer's queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Queues one event; returns at once. False when the log is disabled or the event was dropped
    /// (the writer's queue is full).
    /// </summary>
    public bool Write(TrackingEvent trackingEvent)
    {
        if (!Enabled || Volatile.Read(ref _disposed) != 0)
            return false;
        if (_queue.Writer.TryWrite(new Item(trackingEvent, null)))
            return true;
        Interlocked.Increment(ref _dropped);
        _metrics?.TrackingDropped();
        return false;
    }

    /// <summary>Completes once every event queued before the call is written to its file (not fsync'd).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!Enabled)
            return;
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // A barrier is never dropped: it waits for room in the queue.
            await _queue.Writer.WriteAsync(new Item(null, barrier), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return;
        }
        _hurry.Set();
        await barrier.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every event of a message, oldest first, across the retained files. <paramref name="messageIdOrQueueId"/>
    /// is a queue id, or a Message-ID header (with or without its angle brackets): then the queue ids
    /// received with that Message-ID are found first, and all of their events returned.
    /// </summary>
    public async Task<IReadOnlyList<TrackingEvent>> FindAsync(string messageIdOrQueueId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageIdOrQueueId);
        if (!Enabled)
            return [];
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => TrackingLogSearch.Find(_options.Directory, messageIdOrQueueId.Trim(), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes what is queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !Enabled)
            return;
        _queue.Writer.TryComplete();
        _hurry.Set();
        await _writer!.Stopped.ConfigureAwait(false);
    }

    private static Stream OpenForAppend(string path) =>
        new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 64 * 1024);

    private void RunWriter()
    {
        var line = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(line, WriterOptions);
        var barriers = new List<TaskCompletionSource>();
        try
        {
            while (_writer!.WaitToRead())
            {
                var written = 0;
                try
                {
                    while (written < MaxBatch && _queue.Reader.TryRead(out var item))
                    {
                        if (item.Barrier is { } barrier)
                        {
                            barriers.Add(barrier);
                            continue;
                        }

                        line.ResetWrittenCount();
                        json.Reset(line);
                        JsonSerializer.Serialize(json, item.Event! with { Node = _node }, TrackingJsonContext.Default.TrackingEvent);
                        json.Flush();
                        line.Write("\n"u8);
                        Append(line.WrittenSpan);
                        written++;
                    }

                    _file?.Flush();
                    _metrics?.TrackingWritten(written);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _metrics?.TrackingWriteFailed();
                    try
                    {
                        CloseFile();
                    }
                    catch (Exception closing) when (closing is IOException or UnauthorizedAccessException)
                    {
                        // The file is given up either way; the next event opens it again.
                    }
                    var now = DateTime.UtcNow;
                    if (now - _lastErrorLogged > TimeSpan.FromMinutes(1))
                    {
                        _lastErrorLogged = now;
                        _logger.LogWarning(ex, "Message tracking log {Directory}: a batch of events could not be written; mail is not affected", _options.Directory);
                    }
                }
                finally
                {
                    foreach (var barrier in barriers)
                        barrier.TrySetResult();
                    barriers.Clear();
                }

                // Set after a barrier is queued, so a flush that comes during the rest ends it and is seen below.
                if (Volatile.Read(ref _disposed) == 0)
                    _hurry.Wait(_gatherWindow);
                _hurry.Reset();
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Message tracking log writer stopped; no more events are written");
        }
        finally
        {
            try
            {
                CloseFile();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Message tracking log: the last file could not be closed cleanly");
            }
            // Events still queued after a fault: release anyone waiting on a barrier behind them.
            while (_queue.Reader.TryRead(out var item))
                item.Barrier?.TrySetResult();
        }
    }

    /// <summary>Appends one line to the current file, starting the next file first when this one would pass max-file-size.</summary>
    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_file is null)
            OpenCurrent();
        else if (_fileLength > 0 && _fileLength + bytes.Length > _options.MaxFileSize)
            Rotate();
        _file!.Write(bytes);
        _fileLength += bytes.Length;
    }

    /// <summary>Continues the newest file while it has room; otherwise starts the next.</summary>
    private void OpenCurrent()
    {
        if (_files.Count > 0 && new FileInfo(_files[^1].Path) is { Exists: true } last && last.Length < _options.MaxFileSize)
        {
            _file = _openFile(last.FullName);
            _fileLength = last.Length;
            return;
        }
        Rotate();
    }

    private void Rotate()
    {
        CloseFile();
        var sequence = _files.Count == 0 ? 1 : _files[^1].Sequence + 1;
        var path = TrackingLogFiles.PathOf(_options.Directory, sequence);
        _file = _openFile(path);
        _fileLength = 0;
        _files.Add((sequence, path));
        while (_files.Count > _options.RetainFiles)
        {
            try
            {
                File.Delete(_files[0].Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Message tracking log: could not delete the old file {File}", _files[0].Path);
            }
            _files.RemoveAt(0);
        }
    }

    private void CloseFile()
    {
        var file = _file;
        _file = null;
        file?.Dispose();
    }

    /// <summary>An event to write, or a barrier to complete once everything before it is written.</summary>
    private readonly record struct Item(TrackingEvent? Event, TaskCompletionSource? Barrier);
}
