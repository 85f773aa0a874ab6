using System.Diagnostics;
using Router.Actors.Cluster;
using Router.Actors.Cluster.Peers;
using Router.Actors.Cluster.Shadow;
using Router.Actors.Configuration;
using Router.Actors.Routing;
using Router.Actors.Spool;
using Router.Messages;
using Router.Messages.Cluster;
using Router.Messages.Delivery;

namespace Router.Actors.Observability.Tracing;

/// <summary>
/// One trace per message (OpenTelemetry, through <see cref="ActivitySource"/>): the accept span at the SMTP edge is
/// its root, and the context of a traced message travels with it as a W3C traceparent, in the spool's envelope
/// (<see cref="Envelope.TraceParent"/>), in each part (<see cref="DeliveryJob.TraceParent"/>) and across nodes in the
/// transfer offer (<see cref="PeerOffer.TraceParent"/>), so spans made later, elsewhere or after a restart join it.
/// </summary>
/// <remarks>
/// <para>Nothing here costs anything when nobody listens (no exporter configured): every method first asks the source,
/// gets null and returns; tags are computed only for a span that is recorded. A message that is not sampled at its
/// acceptance carries no traceparent, so none of its later steps makes a span either: the sampling decision is made
/// once per message.</para>
/// <para>Spans are started with an explicit parent and leave <see cref="Activity.Current"/> as they found it: the
/// actors' threads run many messages' work in turn, and an ambient span must not leak from one to the next.</para>
/// </remarks>
public sealed class MessageTracing(string node)
{
    /// <summary>The name of the router's <see cref="ActivitySource"/>: what a tracer provider adds to export its spans.</summary>
    public const string SourceName = "Router";

    private static readonly ActivitySource Source = new(SourceName, typeof(MessageTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>For nodes built without a name (tests of one actor).</summary>
    public static MessageTracing Unnamed { get; } = new(string.Empty);

    /// <summary>The node name each span carries (<see cref="TraceAttributes.Node"/>).</summary>
    public string Node { get; } = node;

    /// <summary>Whether anything listens to the router's spans; false when tracing is off.</summary>
    public static bool Listening => Source.HasListeners();

    /// <summary>The time now when spans are listened to, else default (no clock read on the mail path when off).</summary>
    public static DateTimeOffset Clock() => Source.HasListeners() ? DateTimeOffset.UtcNow : default;

    /// <summary>The traceparent that continues <paramref name="span"/>'s trace: its id when it is recorded (sampled), else null.</summary>
    public static string? TraceParentOf(Activity? span) => span is { Recorded: true } ? span.Id : null;

    // ---- Accept (the SMTP edge) ----

    /// <summary>
    /// Starts the root span of a message, from <paramref name="transactionStarted"/> (MAIL FROM) when known, and makes it
    /// the ambient span of the calling flow (the store's), which <see cref="AcceptTraceParent"/> reads. End it with
    /// <see cref="EndAccept"/> in the same flow.
    /// </summary>
    internal Activity? StartAccept(DateTimeOffset transactionStarted)
    {
        if (!Source.HasListeners())
            return null;
        var previous = Activity.Current;
        // A root: no ambient span of whatever runs the session may become its parent.
        Activity.Current = null;
        var span = Source.StartActivity(TraceAttributes.AcceptSpan, ActivityKind.Server, default(ActivityContext), startTime: transactionStarted);
        if (span is null)
        {
            Activity.Current = previous;
            return null;
        }
        if (span.IsAllDataRequested)
            span.SetTag(TraceAttributes.Node, Node);
        return span;
    }

    /// <summary>The traceparent to keep with a message accepted in this flow: the ambient accept span's, when it is recorded.</summary>
    internal static string? AcceptTraceParent() => Activity.Current is { } current && IsAccept(current) ? TraceParentOf(current) : null;

    /// <summary>Ends the accept span with the reply the client got (4xx and 5xx are errors).</summary>
    internal static void EndAccept(Activity? span, int replyCode, string reply)
    {
        if (span is null)
            return;
        if (span.IsAllDataRequested)
        {
            span.SetTag(TraceAttributes.ReplyCode, replyCode);
            if (replyCode >= 400)
                span.SetStatus(ActivityStatusCode.Error, reply);
        }
        End(span);
    }

    /// <summary>
    /// Tags the ambient accept span with what is being stored, and starts the span of the spool write (end it with
    /// <see cref="EndWhenDone{T}"/> on the write's task).
    /// </summary>
    internal Activity? StartSpoolWrite(string queueId, Envelope envelope, long size)
    {
        if (!Source.HasListeners())
            return null;
        if (Activity.Current is { IsAllDataRequested: true } accept && IsAccept(accept))
        {
            accept.SetTag(TraceAttributes.QueueId, queueId);
            accept.SetTag(TraceAttributes.ClientAddress, envelope.ClientAddress);
            accept.SetTag(TraceAttributes.ClientHelo, envelope.ClientHelo);
            accept.SetTag(TraceAttributes.Recipients, envelope.Recipients.Count);
            accept.SetTag(TraceAttributes.MessageSize, size);
        }
        return StartChild(TraceAttributes.SpoolSpan, ActivityKind.Internal, envelope.TraceParent, queueId);
    }

    // ---- Shadow copies ----

    /// <summary>The owner's side of a shadow copy; end it with <see cref="EndShadowCopy"/>.</summary>
    internal Activity? StartShadowCopy(string queueId, Envelope envelope) =>
        StartChild(TraceAttributes.ShadowCopySpan, ActivityKind.Client, envelope.TraceParent, queueId);

    internal static void EndShadowCopy(Activity? span, ShadowResult result)
    {
        if (span is null)
            return;
        if (span.IsAllDataRequested)
        {
            if (result.Holder is { } holder)
                span.SetTag(TraceAttributes.Peer, holder.ToString());
            if (!result.Stored)
                span.SetStatus(ActivityStatusCode.Error, result.Error);
        }
        End(span);
    }

    /// <summary>The receiving node's span of a transfer (a shadow copy or a handover), a child of the sender's; end it with <see cref="EndWhenDone{T}"/>.</summary>
    internal Activity? StartTransferReceive(PeerOffer offer)
    {
        var span = StartChild(offer.Kind == TransferKind.Shadow ? TraceAttributes.ShadowStoreSpan : TraceAttributes.HandoverReceiveSpan,
            ActivityKind.Server, offer.TraceParent, null, remote: true);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.Owner, offer.Owner);
            span.SetTag(TraceAttributes.RemoteQueueId, offer.QueueId);
            span.SetTag(TraceAttributes.MessageSize, offer.BodyLength);
        }
        return span;
    }

    /// <summary>The holder's span of one copy of a <see cref="ShadowBatch"/>, a child of the owner's shadow copy span; end it with <see cref="End"/>.</summary>
    internal Activity? StartShadowStore(string owner, ShadowCopy copy)
    {
        if (copy.TraceParent is null)
            return null;
        var span = StartChild(TraceAttributes.ShadowStoreSpan, ActivityKind.Server, copy.TraceParent, null, remote: true);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.Owner, owner);
            span.SetTag(TraceAttributes.RemoteQueueId, copy.QueueId);
            span.SetTag(TraceAttributes.MessageSize, copy.Body.Length);
        }
        return span;
    }

    /// <summary>
    /// The envelope a receiving node stores: its spans there are children of the receive span; unchanged when this node
    /// makes no span (it keeps the sender's trace).
    /// </summary>
    internal static Envelope ContinuedBy(Envelope envelope, Activity? receive) =>
        TraceParentOf(receive) is { } traceParent ? envelope with { TraceParent = traceParent } : envelope;

    // ---- Routing ----

    /// <summary>One placement decision for a part, as a span of its own (a decision takes no time worth measuring).</summary>
    internal void Routed(DeliveryJob job, PathChoice choice, PathSelector paths)
    {
        var span = StartChild(TraceAttributes.RouteSpan, ActivityKind.Internal, job.TraceParent, job.QueueId);
        if (span is null)
            return;
        if (span.IsAllDataRequested)
        {
            span.SetTag(TraceAttributes.Recipients, job.Recipients.Count);
            span.SetTag(TraceAttributes.Attempt, job.Attempts + 1);
            if (choice.Handover is { } handover)
            {
                span.SetTag(TraceAttributes.Decision, "handover");
                span.SetTag(TraceAttributes.Peer, handover.Peer);
                span.SetTag(TraceAttributes.Reason, handover.Reason);
            }
            else if (paths.Leaving)
                span.SetTag(TraceAttributes.Decision, "wait");
            else if (choice.Connector is { } connector)
            {
                span.SetTag(TraceAttributes.Decision, "connector");
                span.SetTag(TraceAttributes.Connector, connector);
                if (paths.TierOf(job, connector) is { } tier)
                    span.SetTag(TraceAttributes.Tier, $"{tier.Pattern};{tier.Cost}");
            }
            else
                span.SetTag(TraceAttributes.Decision, "parked");
        }
        End(span);
    }

    // ---- Delivery ----

    /// <summary>One SMTP transaction with a firewall for a part; end it with <see cref="EndAttempt"/>.</summary>
    internal Activity? StartAttempt(DeliveryJob job, FirewallOptions firewall)
    {
        var span = StartChild(TraceAttributes.AttemptSpan, ActivityKind.Client, job.TraceParent, job.QueueId);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.Firewall, firewall.Id);
            span.SetTag(TraceAttributes.ServerAddress, firewall.Host);
            span.SetTag(TraceAttributes.ServerPort, firewall.Port);
            span.SetTag(TraceAttributes.Attempt, job.Attempts + 1);
            span.SetTag(TraceAttributes.Recipients, job.Recipients.Count);
        }
        return span;
    }

    /// <summary>
    /// Ends an attempt with how it went: the outcome, the firewall's reply code (the first recipient's, as the tracking
    /// log has it) and text; anything but a completed transaction whose recipients all got a 2xx is an error.
    /// </summary>
    internal static void EndAttempt(Activity? span, DeliveryResult result)
    {
        if (span is null)
            return;
        if (span.IsAllDataRequested)
        {
            var code = result.Recipients.Count > 0 ? result.Recipients[0].Code : 0;
            span.SetTag(TraceAttributes.Outcome, RouterMetrics.OutcomeLabel(result.Outcome));
            span.SetTag(TraceAttributes.ReplyCode, code);
            span.SetTag(TraceAttributes.Reply, result.Detail);
            if (result.Outcome != AttemptOutcome.Completed || !result.Recipients.All(r => r.Delivered))
                span.SetStatus(ActivityStatusCode.Error, result.Detail);
        }
        End(span);
    }

    // ---- Bounces and delay notices ----

    /// <summary>A DSN for some recipients of <paramref name="original"/>; end it with <see cref="EndDsn"/>.</summary>
    internal Activity? StartDsn(SpooledMessage original, int recipients, bool delay)
    {
        var span = StartChild(TraceAttributes.DsnSpan, ActivityKind.Internal, original.Envelope.TraceParent, original.QueueId);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.DsnAction, delay ? "delayed" : "failed");
            span.SetTag(TraceAttributes.Recipients, recipients);
        }
        return span;
    }

    internal static void EndDsn(Activity? span, string dsnQueueId)
    {
        if (span is null)
            return;
        if (span.IsAllDataRequested)
            span.SetTag(TraceAttributes.DsnQueueId, dsnQueueId);
        End(span);
    }

    // ---- Handovers ----

    /// <summary>A part handed to a peer; end it with <see cref="EndHandover"/>.</summary>
    internal Activity? StartHandover(DeliveryJob job, string peer, string reason)
    {
        var span = StartChild(TraceAttributes.HandoverSpan, ActivityKind.Producer, job.TraceParent, job.QueueId);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.Peer, peer);
            span.SetTag(TraceAttributes.Reason, reason);
            span.SetTag(TraceAttributes.Recipients, job.Recipients.Count);
            span.SetTag(TraceAttributes.Handovers, job.Handovers + 1);
        }
        return span;
    }

    internal static void EndHandover(Activity? span, TransferResult result)
    {
        if (span is null)
            return;
        if (span.IsAllDataRequested)
        {
            if (result.RemoteQueueId is { } remote)
                span.SetTag(TraceAttributes.RemoteQueueId, remote);
            if (!result.Stored)
                span.SetStatus(ActivityStatusCode.Error, result.Error);
        }
        End(span);
    }

    // ---- Common ----

    /// <summary>Ends <paramref name="span"/> when <paramref name="task"/> completes (an error if it fails), tagged with its queue id.</summary>
    internal static void EndWhenDone<T>(Activity? span, Task<T> task, Func<T, string?>? queueIdOf = null)
    {
        if (span is null)
            return;
        task.ContinueWith(static (t, state) =>
        {
            var (span, queueIdOf) = ((Activity, Func<T, string?>?))state!;
            if (t.IsFaulted)
                span.SetStatus(ActivityStatusCode.Error, t.Exception?.GetBaseException().Message);
            else if (queueIdOf is not null && span.IsAllDataRequested)
                span.SetTag(TraceAttributes.QueueId, queueIdOf(t.Result));
            End(span);
        }, (span, queueIdOf), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Stops <paramref name="span"/> (it is exported then) and leaves the ambient span as it was.</summary>
    public static void End(Activity? span)
    {
        if (span is null)
            return;
        var previous = Activity.Current;
        span.Stop();
        if (!ReferenceEquals(Activity.Current, previous) && !ReferenceEquals(previous, span))
            Activity.Current = previous;
    }

    /// <summary>A span of this node, child of <paramref name="traceParent"/>; null when not traced or nobody listens.</summary>
    private Activity? StartChild(string name, ActivityKind kind, string? traceParent, string? queueId, bool remote = false)
    {
        if (traceParent is null || !Source.HasListeners() || !ActivityContext.TryParse(traceParent, null, remote, out var parent))
            return null;
        var previous = Activity.Current;
        var span = Source.StartActivity(name, kind, parent);
        if (span is null)
            return null;
        Activity.Current = previous;
        if (span.IsAllDataRequested)
        {
            span.SetTag(TraceAttributes.Node, Node);
            if (queueId is not null)
                span.SetTag(TraceAttributes.QueueId, queueId);
        }
        return span;
    }

    private static bool IsAccept(Activity span) => ReferenceEquals(span.Source, Source) && span.OperationName == TraceAttributes.AcceptSpan;
}
