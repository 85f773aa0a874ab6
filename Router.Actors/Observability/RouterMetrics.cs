using System.Collections.Concurrent;
using Prometheus;
using Router.Actors.Health;
using Router.Actors.Spool;
using Router.Messages.Delivery;

namespace Router.Actors.Observability;

/// <summary>
/// The Prometheus metrics of one node, in a registry of its own (several nodes share a process in
/// the tests, and the library's static default registry would mix them). The host creates one per
/// node and hands it to the actors through <see cref="RouterTelemetry"/>; the admin endpoint serves
/// <see cref="ExportAsync"/> as <c>/metrics</c>. Labelled series are bound once per connector,
/// firewall or path, so recording on the hot path is a lock-free add.
/// </summary>
public sealed class RouterMetrics
{
    /// <summary>The content type of <see cref="ExportAsync"/>: Prometheus text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Placeholder label value where a bounce did not come from a firewall (expiry while parked, no route, operator).</summary>
    public const string None = "none";

    private static readonly HealthState[] States = Enum.GetValues<HealthState>();
    private static readonly AttemptOutcome[] Outcomes = Enum.GetValues<AttemptOutcome>();

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _accepted;
    private readonly Counter _acceptedBytes;
    private readonly Counter _delivered;
    private readonly Counter _deferred;
    private readonly Counter _bounced;
    private readonly Counter _attempts;
    private readonly Counter _rerouted;
    private readonly Histogram _deliveryLatency;
    private readonly Gauge _firewallState;
    private readonly Counter _trips;
    private readonly Counter _hedged;
    private readonly Gauge _sessionsOpen;
    private readonly Counter _sessions;
    private readonly Gauge _queueMessages;
    private readonly Gauge _queueBytes;
    private readonly Histogram _fsyncBatch;
    private readonly Histogram _fsyncSeconds;
    private readonly Counter _trackingWritten;
    private readonly Counter _trackingDropped;
    private readonly Counter _trackingErrors;
    private readonly Counter _configReloads;
    private readonly Counter _cpuSeconds;
    private readonly Counter _jitMethods;
    private readonly Counter _jitSeconds;
    private readonly IReadOnlyDictionary<string, Counter.Child> _refused;
    private readonly ConcurrentDictionary<(string Connector, string Firewall), PathMetrics> _paths = new();
    private readonly ConcurrentDictionary<string, FirewallMetrics> _firewalls = new(StringComparer.Ordinal);
    private Func<int>? _openSessions;
    private Func<SpoolStatistics>? _spool;

    public RouterMetrics()
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        _accepted = factory.CreateCounter("router_messages_accepted_total", "Messages accepted (250 after the spool's fsync) at the SMTP edge.");
        _acceptedBytes = factory.CreateCounter("router_accepted_bytes_total", "Bytes of the messages accepted, as stored (our Received header included).");
        _delivered = factory.CreateCounter("router_recipients_delivered_total", "Recipients a firewall accepted (2xx), by connector and firewall.", ["connector", "firewall"]);
        _deferred = factory.CreateCounter("router_recipients_deferred_total", "Recipients a firewall deferred (4xx) that wait for a retry, by connector and firewall.", ["connector", "firewall"]);
        _bounced = factory.CreateCounter("router_recipients_bounced_total",
            "Recipients that failed for good (5xx, expiry, no route, deleted with a bounce) and were journaled as failed, by connector and firewall (\"none\" when no firewall answered).",
            ["connector", "firewall"]);
        _attempts = factory.CreateCounter("router_delivery_attempts_total", "Delivery attempts (one SMTP transaction each), by connector, firewall and outcome.",
            ["connector", "firewall", "outcome"], new CounterConfiguration { SuppressInitialValue = true });
        _rerouted = factory.CreateCounter("router_jobs_rerouted_total", "Jobs a connector handed back to be placed elsewhere (no firewall of it takes work, or an operator).",
            ["connector"]);
        _deliveryLatency = factory.CreateHistogram("router_delivery_latency_seconds", "Time from acceptance (250) to a firewall's 2xx, per delivered part.",
            new HistogramConfiguration { Buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400] });
        _firewallState = factory.CreateGauge("router_firewall_health_state", "1 for the state each firewall's circuit breaker is in, 0 for the others.", ["firewall", "state"]);
        _trips = factory.CreateCounter("router_firewall_trips_total", "Times each firewall's circuit breaker tripped (opened).", ["firewall"]);
        _hedged = factory.CreateCounter("router_firewall_hedged_total",
            "Jobs placed elsewhere because a wait before any data was sent (connect to RCPT) ran far past the firewall's latency history.", ["firewall"]);
        _sessionsOpen = factory.CreateGauge("router_smtp_sessions_open", "SMTP sessions open at the edge now.");
        _sessions = factory.CreateCounter("router_smtp_sessions_total", "SMTP sessions opened at the edge.");
        var refused = factory.CreateCounter("router_smtp_refused_total",
            "Refusals at the SMTP edge (4xx and 5xx replies, connections turned away), by reason: relay denied, auth, TLS required, limits, size, bare line endings, loops...",
            ["reason"]);
        _refused = Ingress.RefusalReason.All.ToDictionary(r => r, r => refused.WithLabels(r), StringComparer.Ordinal);
        _queueMessages = factory.CreateGauge("router_queue_messages", "Messages in the spool with at least one recipient pending.");
        _queueBytes = factory.CreateGauge("router_queue_bytes", "Bytes of the messages in the spool.");
        _fsyncBatch = factory.CreateHistogram("router_spool_fsync_batch_records", "Records made durable by one spool fsync (group commit).",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });
        _fsyncSeconds = factory.CreateHistogram("router_spool_fsync_seconds", "Duration of one spool fsync.",
            new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _trackingWritten = factory.CreateCounter("router_tracking_events_written_total", "Message tracking events written to the tracking log.");
        _trackingDropped = factory.CreateCounter("router_tracking_events_dropped_total",
            "Message tracking events dropped because the writer's queue was full (the disk could not keep up); never blocks mail.");
        _trackingErrors = factory.CreateCounter("router_tracking_write_errors_total", "Batches of tracking events lost to an I/O error of the tracking log.");

        _configReloads = factory.CreateCounter("router_config_reloads_total",
            "Configuration reloads (SIGHUP, router cmd config reload, POST /api/config/reload) by result: applied, unchanged, refused.", ["result"]);

        // The process's own costs: CPU, and how much of it still goes to compiling code (a node that is
        // still compiling runs slower than it will; benchmarks wait for this to settle).
        _cpuSeconds = factory.CreateCounter("router_process_cpu_seconds_total", "CPU time this process has used, user and system.");
        _jitMethods = factory.CreateCounter("router_jit_compiled_methods_total", "Methods the runtime has compiled (each tier counts), since the process started.");
        _jitSeconds = factory.CreateCounter("router_jit_compilation_seconds_total", "Time the runtime has spent compiling methods, since the process started.");

        // Gauges that are facts elsewhere are read when scraped, not kept up to date on every message.
        _registry.AddBeforeCollectCallback(() =>
        {
            _cpuSeconds.IncTo(Environment.CpuUsage.TotalTime.TotalSeconds);
            _jitMethods.IncTo(System.Runtime.JitInfo.GetCompiledMethodCount());
            _jitSeconds.IncTo(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds);
            if (Volatile.Read(ref _openSessions) is { } sessions)
                _sessionsOpen.Set(sessions());
            if (Volatile.Read(ref _spool) is { } spool)
            {
                var statistics = spool();
                _queueMessages.Set(statistics.MessagesQueued);
                _queueBytes.Set(statistics.BytesQueued);
            }
        });
    }

    /// <summary>This node's registry, for callers that add metrics of their own (the admin endpoint's, say).</summary>
    public CollectorRegistry Registry => _registry;

    /// <summary>Writes every metric in the Prometheus text exposition format (<see cref="ContentType"/>): the body of <c>/metrics</c>.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken = default) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    /// <summary>The exposition text as a string (tests, the operator client).</summary>
    public async Task<string> ExportTextAsync(CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await ExportAsync(buffer, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Creates further series in this node's registry (features that keep their metrics in their own class: Shadow/ShadowMetrics).</summary>
    internal IMetricFactory Factory => Metrics.WithCustomRegistry(_registry);

    public void MessageAccepted(long bytes)
    {
        _accepted.Inc();
        _acceptedBytes.Inc(bytes);
    }

    public void SmtpSessionStarted() => _sessions.Inc();

    /// <summary>A reload ended: <paramref name="result"/> is applied, unchanged or refused.</summary>
    public void ConfigReloaded(string result) => _configReloads.WithLabels(result).Inc();

    /// <summary>One refusal at the SMTP edge; <paramref name="reason"/> is one of <see cref="Ingress.RefusalReason.All"/> (others count as protocol).</summary>
    public void Refused(string reason) =>
        (_refused.GetValueOrDefault(reason) ?? _refused[Ingress.RefusalReason.Protocol]).Inc();

    /// <summary>Where the number of open SMTP sessions is read at each scrape (the listener, which may be restarted).</summary>
    public void ObserveSmtpSessions(Func<int> openSessions) => Volatile.Write(ref _openSessions, openSessions);

    /// <summary>Where queue depth and queued bytes are read at each scrape.</summary>
    public void ObserveSpool(Func<SpoolStatistics> statistics) => Volatile.Write(ref _spool, statistics);

    /// <summary>One group commit of the spool: how many records one fsync made durable, and how long the fsync took.</summary>
    public void SpoolCommitted(int records, TimeSpan fsync)
    {
        _fsyncBatch.Observe(records);
        _fsyncSeconds.Observe(fsync.TotalSeconds);
    }

    /// <summary>The series of one connector's deliveries through one firewall; bind once, record often.</summary>
    public PathMetrics Path(string connector, string firewall) =>
        _paths.GetOrAdd((connector, firewall), static (key, self) => new PathMetrics(self, key.Connector, key.Firewall), this);

    /// <summary>The series of one firewall's health; bind once, record often.</summary>
    public FirewallMetrics Firewall(string firewall) =>
        _firewalls.GetOrAdd(firewall, static (id, self) => new FirewallMetrics(self, id), this);

    public void Bounced(string? connector, string? firewall, int recipients) =>
        _bounced.WithLabels(connector ?? None, firewall ?? None).Inc(recipients);

    public void Rerouted(string connector, int jobs) => _rerouted.WithLabels(connector).Inc(jobs);

    /// <summary>Messages accepted and recipients delivered since start: the admin dashboard samples them for its throughput chart.</summary>
    public (long Accepted, long Delivered) Totals => ((long)_accepted.Value, (long)_paths.Values.Sum(p => p.DeliveredTotal));

    internal void TrackingWritten(int events) => _trackingWritten.Inc(events);

    internal void TrackingDropped() => _trackingDropped.Inc();

    internal void TrackingWriteFailed() => _trackingErrors.Inc();

    /// <summary>Delivered, deferred and attempt counters of one (connector, firewall) pair.</summary>
    public sealed class PathMetrics
    {
        private readonly Counter.Child _delivered;
        private readonly Counter.Child _deferred;
        private readonly Counter.Child[] _attempts;
        private readonly Histogram _latency;

        internal PathMetrics(RouterMetrics owner, string connector, string firewall)
        {
            _delivered = owner._delivered.WithLabels(connector, firewall);
            _deferred = owner._deferred.WithLabels(connector, firewall);
            _attempts = Outcomes.Select(o => owner._attempts.WithLabels(connector, firewall, OutcomeLabel(o))).ToArray();
            _latency = owner._deliveryLatency;
        }

        public void Attempted(AttemptOutcome outcome)
        {
            if ((uint)outcome < (uint)_attempts.Length)
                _attempts[(int)outcome].Inc();
        }

        /// <summary>Recipients delivered in one part, and the part's time since acceptance.</summary>
        public void Delivered(int recipients, TimeSpan? sinceAccepted)
        {
            _delivered.Inc(recipients);
            if (sinceAccepted is { } latency)
                _latency.Observe(Math.Max(0, latency.TotalSeconds));
        }

        public void Deferred(int recipients) => _deferred.Inc(recipients);

        internal double DeliveredTotal => _delivered.Value;
    }

    /// <summary>Health series of one firewall.</summary>
    public sealed class FirewallMetrics
    {
        private readonly Gauge.Child[] _states;
        private readonly Counter.Child _trips;
        private readonly Counter.Child _hedged;

        internal FirewallMetrics(RouterMetrics owner, string firewall)
        {
            _states = States.Select(s => owner._firewallState.WithLabels(firewall, StateLabel(s))).ToArray();
            _trips = owner._trips.WithLabels(firewall);
            _hedged = owner._hedged.WithLabels(firewall);
        }

        public void State(HealthState state)
        {
            for (var i = 0; i < _states.Length; i++)
                _states[i].Set(i == (int)state ? 1 : 0);
        }

        public void Tripped() => _trips.Inc();

        /// <summary>A job left this firewall because a wait before any data ran far past its latency history.</summary>
        public void Hedged() => _hedged.Inc();
    }

    /// <summary>The label value of a health state: its name in lower case, as the logs and the operator client write it.</summary>
    public static string StateLabel(HealthState state) => state switch
    {
        HealthState.Healthy => "healthy",
        HealthState.Suspect => "suspect",
        HealthState.Tripped => "tripped",
        HealthState.Probing => "probing",
        HealthState.Drained => "drained",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>The label value of an attempt outcome, in snake case (connect_timeout).</summary>
    public static string OutcomeLabel(AttemptOutcome outcome) =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString());
}
