using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// Owns one pooled SMTP connection to one firewall and delivers one job at a time over it. The
/// connection stays open between jobs and is closed after an idle period.
/// </summary>
public sealed class DeliveryWorker : ReceiveActor
{
    /// <summary>Firewall → worker: deliver this job now.</summary>
    /// <param name="Abandon">Cancelled by the firewall actor when the firewall trips: the attempt is abandoned.</param>
    public sealed record Deliver(DeliveryJob Job, CancellationToken Abandon);

    /// <summary>Worker → firewall: the attempt ended (also sent when the worker crashed mid-job).</summary>
    /// <param name="Capabilities">What the firewall's EHLO offered on the session used, when one was open.</param>
    public sealed record Finished(DeliveryJob Job, DeliveryResult Result, FirewallCapabilities? Capabilities = null);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FirewallConnection _connection;
    private readonly Func<string, Stream> _openBody;
    private readonly CancellationTokenSource _stopping = new();
    private readonly MessageTracing _tracing = RouterTelemetry.Get(Context.System).Tracing;

    /// <param name="latencies">The firewall's latency history, shared by its workers and probe.</param>
    /// <param name="connectionRate">The firewall's <c>max-connection-rate</c> bucket, shared by its workers; null when unlimited.</param>
    public DeliveryWorker(FirewallOptions firewall, Func<string, Stream> openBody, TimeSpan idleTimeout, LatencyBook? latencies = null, Health.TokenBucket? connectionRate = null)
    {
        _connection = new FirewallConnection(firewall, latencies, connectionRate: connectionRate);
        _openBody = openBody;
        SetReceiveTimeout(idleTimeout);

        ReceiveAsync<Deliver>(async deliver =>
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, deliver.Abandon);
            var span = _tracing.StartAttempt(deliver.Job, firewall);
            var result = await _connection.DeliverAsync(deliver.Job, () => _openBody(deliver.Job.QueueId), cancel.Token);
            MessageTracing.EndAttempt(span, result);
            Sender.Tell(new Finished(deliver.Job, result, _connection.Capabilities));
        });
        ReceiveAsync<ReceiveTimeout>(async _ =>
        {
            if (_connection.IsConnected)
            {
                _log.Debug("Closing idle connection to {Firewall}", firewall.Id);
                await _connection.CloseAsync(_stopping.Token);
            }
        });
    }

    public static Props Props(FirewallOptions firewall, Func<string, Stream> openBody, TimeSpan idleTimeout, LatencyBook? latencies = null, Health.TokenBucket? connectionRate = null) =>
        Akka.Actor.Props.Create(() => new DeliveryWorker(firewall, openBody, idleTimeout, latencies, connectionRate));

    // A crash mid-job must not lose the job: report it as a local failure so it is placed again.
    protected override void PreRestart(Exception reason, object message)
    {
        if (message is Deliver deliver)
            Context.Parent.Tell(new Finished(deliver.Job,
                DeliveryResult.ForAll(deliver.Job, AttemptOutcome.LocalError, 0, $"delivery worker crashed: {reason.Message}")));
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _ = _connection.DisposeAsync().AsTask();
        _stopping.Dispose();
    }
}
