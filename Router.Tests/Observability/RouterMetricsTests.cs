using Router.Actors.Health;
using Router.Actors.Observability;
using Router.Messages.Delivery;
using Router.Testing;

namespace Router.Tests.Observability;

public sealed class RouterMetricsTests
{
    [Fact]
    public async Task Recorded_values_come_back_in_the_exposition_text_with_their_labels()
    {
        var metrics = new RouterMetrics();
        metrics.MessageAccepted(1200);
        metrics.MessageAccepted(800);
        var path = metrics.Path("out-a", "fw-a");
        path.Attempted(AttemptOutcome.Completed);
        path.Attempted(AttemptOutcome.ConnectTimeout);
        path.Delivered(3, TimeSpan.FromMilliseconds(40));
        path.Deferred(2);
        metrics.Bounced("out-a", "fw-a", 1);
        metrics.Bounced(null, null, 4);
        var firewall = metrics.Firewall("fw-a");
        firewall.State(HealthState.Tripped);
        firewall.Tripped();
        metrics.SpoolCommitted(7, TimeSpan.FromMilliseconds(2));

        var text = PrometheusText.Parse(await metrics.ExportTextAsync());

        Assert.Equal(2, text.Value("router_messages_accepted_total"));
        Assert.Equal(2000, text.Value("router_accepted_bytes_total"));
        Assert.Equal(1, text.Value("router_delivery_attempts_total", ("connector", "out-a"), ("firewall", "fw-a"), ("outcome", "completed")));
        Assert.Equal(1, text.Value("router_delivery_attempts_total", ("outcome", "connect_timeout")));
        // Outcomes never seen are not exported (no wall of zeros).
        Assert.Null(text.Value("router_delivery_attempts_total", ("outcome", "protocol_error")));
        Assert.Equal(3, text.Value("router_recipients_delivered_total", ("connector", "out-a"), ("firewall", "fw-a")));
        Assert.Equal(2, text.Value("router_recipients_deferred_total", ("connector", "out-a"), ("firewall", "fw-a")));
        Assert.Equal(1, text.Value("router_recipients_bounced_total", ("connector", "out-a"), ("firewall", "fw-a")));
        Assert.Equal(4, text.Value("router_recipients_bounced_total", ("connector", "none"), ("firewall", "none")));
        Assert.Equal(1, text.Value("router_delivery_latency_seconds_count"));
        Assert.Equal(1, text.Value("router_delivery_latency_seconds_bucket", ("le", "0.05")));
        Assert.Equal(0, text.Value("router_delivery_latency_seconds_bucket", ("le", "0.025")));
        Assert.Equal(1, text.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "tripped")));
        Assert.Equal(0, text.Value("router_firewall_health_state", ("firewall", "fw-a"), ("state", "healthy")));
        Assert.Equal(1, text.Value("router_firewall_trips_total", ("firewall", "fw-a")));
        Assert.Equal(1, text.Value("router_spool_fsync_batch_records_count"));
        Assert.Equal(7, text.Value("router_spool_fsync_batch_records_sum"));
    }

    [Fact]
    public async Task Two_nodes_in_one_process_keep_their_own_counts()
    {
        var one = new RouterMetrics();
        var two = new RouterMetrics();
        one.MessageAccepted(10);

        Assert.Equal(1, PrometheusText.Parse(await one.ExportTextAsync()).Value("router_messages_accepted_total"));
        Assert.Equal(0, PrometheusText.Parse(await two.ExportTextAsync()).Value("router_messages_accepted_total"));
    }

    [Fact]
    public async Task The_process_cpu_and_compilation_counters_are_read_at_each_scrape_and_only_grow()
    {
        var metrics = new RouterMetrics();
        var first = PrometheusText.Parse(await metrics.ExportTextAsync());
        // Work that takes CPU and compiles a method this process has not compiled before (a new generic instantiation).
        var spent = Environment.CpuUsage.TotalTime + TimeSpan.FromMilliseconds(50);
        while (Environment.CpuUsage.TotalTime < spent)
            _ = new List<(byte, sbyte, ushort)>().Count;
        _ = Fresh<(decimal, ulong, char)>.Value();
        var second = PrometheusText.Parse(await metrics.ExportTextAsync());

        Assert.True(second.Value("router_process_cpu_seconds_total") >= first.Value("router_process_cpu_seconds_total")! + 0.05);
        Assert.True(second.Value("router_jit_compiled_methods_total") > first.Value("router_jit_compiled_methods_total"));
        Assert.True(second.Value("router_jit_compilation_seconds_total") > first.Value("router_jit_compilation_seconds_total"));
        Assert.True(first.Value("router_process_cpu_seconds_total") > 0);
    }

    private static class Fresh<T>
    {
        public static int Value() => typeof(T).GetHashCode();
    }

    [Fact]
    public async Task Gauges_that_are_facts_elsewhere_are_read_at_each_scrape()
    {
        var metrics = new RouterMetrics();
        var open = 3;
        metrics.ObserveSmtpSessions(() => open);

        Assert.Equal(3, PrometheusText.Parse(await metrics.ExportTextAsync()).Value("router_smtp_sessions_open"));
        open = 1;
        Assert.Equal(1, PrometheusText.Parse(await metrics.ExportTextAsync()).Value("router_smtp_sessions_open"));
    }
}
