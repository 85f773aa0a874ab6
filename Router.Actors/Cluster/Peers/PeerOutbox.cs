using Akka.Actor;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Peers;

/// <summary>The outcome of one transfer, as the sender sees it.</summary>
/// <param name="RemoteQueueId">The message's queue id on the receiving node, when stored.</param>
/// <param name="Error">Why it was not stored: the receiver's reason, or a timeout.</param>
public sealed record TransferResult(bool Stored, string? RemoteQueueId, string? Error)
{
    public static TransferResult Failed(string error) => new(false, null, error);
}

/// <summary>
/// One per node (<c>/user/peer-outbox</c>): starts a child per outgoing transfer. A transfer sends
/// its <see cref="PeerOffer"/> to the target node's <see cref="PeerIntakeActor"/>, serves the chunks
/// the receiver pulls, and completes when the receiver says the message is durable there (or
/// refuses, or the time is up). Use <see cref="SendAsync"/>.
/// </summary>
public sealed class PeerOutbox : ReceiveActor
{
    public const string Name = "peer-outbox";

    /// <summary>Local only: start a transfer.</summary>
    public sealed record Send(Address Target, TransferKind Kind, string QueueId, TransferPayload Payload, TimeSpan Timeout, TaskCompletionSource<TransferResult> Completion)
        : INoSerializationVerificationNeeded
    {
        /// <summary>The sender's span of the transfer, passed on in the offer (<see cref="PeerOffer.TraceParent"/>).</summary>
        public string? TraceParent { get; init; }

        /// <summary>Handovers: the holder of the message's shadow copy and the recipients moved (<see cref="PeerOffer.ShadowHolder"/>).</summary>
        public string? ShadowHolder { get; init; }

        /// <summary>Handovers: the indexes, in this node's envelope, of the recipients sent (<see cref="PeerOffer.Recipients"/>).</summary>
        public IReadOnlyList<int>? Recipients { get; init; }
    }

    public PeerOutbox(PeerTransferSettings settings)
    {
        var owner = OwnerOf(Context.System);
        Receive<Send>(send => Context.ActorOf(OutgoingTransfer.Props(send, owner, settings)));
    }

    public static Props Props(PeerTransferSettings settings) => Akka.Actor.Props.Create(() => new PeerOutbox(settings));

    /// <summary>
    /// Sends a message to <paramref name="target"/>'s intake and completes when it is durable there, or with the reason it
    /// is not. Never throws for a failed transfer. The payload is disposed of when the transfer ends; a payload in memory
    /// must stay valid until the returned task completes.
    /// </summary>
    public static Task<TransferResult> SendAsync(IActorRef outbox, Address target, TransferKind kind, string queueId, TransferPayload payload, TimeSpan timeout,
        string? traceParent = null, IReadOnlyList<int>? recipients = null, string? shadowHolder = null)
    {
        var completion = new TaskCompletionSource<TransferResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        outbox.Tell(new Send(target, kind, queueId, payload, timeout, completion)
        {
            TraceParent = traceParent,
            Recipients = recipients,
            ShadowHolder = shadowHolder,
        });
        return completion.Task;
    }

    /// <summary>This node as the owner of what it sends: its address and incarnation ("akka.tcp://router@host:port#uid").</summary>
    public static string OwnerOf(ActorSystem system)
    {
        if (system is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
        {
            var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
            return $"{self.Address}#{self.Uid}";
        }

        return ((ExtendedActorSystem)system).Provider.DefaultAddress.ToString();
    }

    /// <summary>The intake of the node at <paramref name="address"/>.</summary>
    public static ActorPath IntakePath(Address address) => new RootActorPath(address) / "user" / PeerIntakeActor.Name;
}

/// <summary>One outgoing transfer: offer, serve chunks, complete on the receiver's answer.</summary>
internal sealed class OutgoingTransfer : ReceiveActor, IWithTimers
{
    private sealed class TimedOut
    {
        public static readonly TimedOut Instance = new();
        private TimedOut() { }
    }

    private readonly PeerOutbox.Send _send;
    private readonly string _transferId = Guid.NewGuid().ToString("N");
    private readonly string _owner;
    private readonly PeerTransferSettings _settings;

    public OutgoingTransfer(PeerOutbox.Send send, string owner, PeerTransferSettings settings)
    {
        _send = send;
        _owner = owner;
        _settings = settings;
        Receive<PeerChunkRequest>(r => r.TransferId == _transferId, OnChunkRequest);
        Receive<PeerStored>(s => s.TransferId == _transferId, s => Finish(new TransferResult(true, s.QueueId, null)));
        Receive<PeerRefused>(r => r.TransferId == _transferId, r => Finish(TransferResult.Failed(r.Reason)));
        Receive<TimedOut>(_ => Finish(TransferResult.Failed($"no acknowledgement from {_send.Target} within {_send.Timeout.TotalSeconds:0.###}s")));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PeerOutbox.Send send, string owner, PeerTransferSettings settings) =>
        Akka.Actor.Props.Create(() => new OutgoingTransfer(send, owner, settings));

    protected override void PreStart()
    {
        Timers.StartSingleTimer("timeout", TimedOut.Instance, _send.Timeout);
        var payload = _send.Payload;
        try
        {
            var offer = new PeerOffer(_transferId, _send.Kind, _owner, _send.QueueId, payload.EnvelopeLength, payload.BodyLength)
            {
                Inline = payload.Length <= _settings.InlineLimit ? payload.Read(0, (int)payload.Length) : null,
                TraceParent = _send.TraceParent,
                ShadowHolder = _send.ShadowHolder,
                Recipients = _send.Recipients,
            };
            Context.ActorSelection(PeerOutbox.IntakePath(_send.Target)).Tell(offer, Self);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Finish(TransferResult.Failed($"could not read the message: {e.Message}"));
        }
    }

    protected override void PostStop()
    {
        _send.Payload.Dispose();
        _send.Completion.TrySetResult(TransferResult.Failed("the transfer was stopped"));
    }

    private void OnChunkRequest(PeerChunkRequest request)
    {
        try
        {
            Sender.Tell(new PeerChunk(_transferId, request.Offset, _send.Payload.Read(request.Offset, Math.Min(request.MaxBytes, _settings.ChunkSize))));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or ArgumentException)
        {
            Sender.Tell(new PeerRefused(_transferId, "the sender could not read the message"));
            Finish(TransferResult.Failed($"could not read the message: {e.Message}"));
        }
    }

    private void Finish(TransferResult result)
    {
        // Stop first: no chunk is read after the caller learns the outcome (and may release an in-memory payload).
        Context.Stop(Self);
        _send.Completion.TrySetResult(result);
    }
}
