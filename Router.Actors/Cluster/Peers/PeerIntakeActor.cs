using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Router.Actors.Observability;
using Router.Actors.Observability.Tracing;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

namespace Router.Actors.Cluster.Peers;

/// <summary>
/// One per clustered node (<c>/user/peer-intake</c>): takes messages that peers send it, shadow copies
/// and handovers alike, through a child per transfer that pulls the payload in chunks (or takes it
/// inline), has the store for its kind make it durable, and only then answers <see cref="PeerStored"/>.
/// A transfer that stalls is dropped with nothing kept; the sender then holds the only copy.
/// </summary>
public sealed class PeerIntakeActor : ReceiveActor
{
    public const string Name = "peer-intake";

    public PeerIntakeActor(IReadOnlyDictionary<TransferKind, IPeerStore> stores, PeerTransferSettings settings)
    {
        var incoming = 0;
        Receive<PeerOffer>(offer =>
        {
            if (!stores.TryGetValue(offer.Kind, out var store))
            {
                Sender.Tell(new PeerRefused(offer.TransferId, $"this node takes no {offer.Kind.ToString().ToLowerInvariant()} transfers"));
                return;
            }

            var length = (long)offer.EnvelopeLength + offer.BodyLength;
            if (offer.EnvelopeLength <= 0 || offer.BodyLength < 0 || length > settings.MaxPayload)
            {
                Sender.Tell(new PeerRefused(offer.TransferId, $"a payload of {length} bytes is outside 1-{settings.MaxPayload}"));
                return;
            }

            if (incoming >= settings.MaxIncoming)
            {
                Sender.Tell(new PeerRefused(offer.TransferId, $"busy: {incoming} transfers in progress"));
                return;
            }

            incoming++;
            Context.Watch(Context.ActorOf(IncomingTransfer.Props(offer, Sender, store, settings)));
        });
        Receive<Terminated>(_ => incoming--);
    }

    public static Props Props(IReadOnlyDictionary<TransferKind, IPeerStore> stores, PeerTransferSettings settings) =>
        Akka.Actor.Props.Create(() => new PeerIntakeActor(stores, settings));
}

/// <summary>One incoming transfer: pull the chunks in order, store, answer, stop.</summary>
internal sealed class IncomingTransfer : ReceiveActor
{
    private sealed record Stored(string QueueId);

    private sealed record StoreFailed(Exception Error);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MessageTracing _tracing = RouterTelemetry.Get(Context.System).Tracing;
    private readonly PeerOffer _offer;
    private readonly IActorRef _sender;
    private readonly IPeerStore _store;
    private readonly PeerTransferSettings _settings;
    private readonly List<byte[]> _chunks = [];
    private readonly long _length;
    private long _received;

    public IncomingTransfer(PeerOffer offer, IActorRef sender, IPeerStore store, PeerTransferSettings settings)
    {
        _offer = offer;
        _sender = sender;
        _store = store;
        _settings = settings;
        _length = offer.EnvelopeLength + offer.BodyLength;
        Receive<PeerChunk>(c => c.TransferId == offer.TransferId, OnChunk);
        Receive<PeerRefused>(r => r.TransferId == offer.TransferId, r =>
        {
            _log.Warning("Transfer {0} of {1} from {2} abandoned by the sender: {3}", offer.TransferId, offer.QueueId, offer.Owner, r.Reason);
            Context.Stop(Self);
        });
        Receive<ReceiveTimeout>(_ => Refuse($"no chunk for {settings.IdleTimeout.TotalSeconds:0.###}s"));
        Receive<Stored>(s =>
        {
            _sender.Tell(new PeerStored(offer.TransferId, s.QueueId));
            Context.Stop(Self);
        });
        Receive<StoreFailed>(f =>
        {
            _log.Error(f.Error, "Could not store {0} ({1}) from {2}", offer.QueueId, offer.Kind, offer.Owner);
            Refuse($"could not store the message: {f.Error.Message}");
        });
    }

    public static Props Props(PeerOffer offer, IActorRef sender, IPeerStore store, PeerTransferSettings settings) =>
        Akka.Actor.Props.Create(() => new IncomingTransfer(offer, sender, store, settings));

    protected override void PreStart()
    {
        if (_offer.Inline is { } inline)
        {
            if (inline.Length != _length)
            {
                Refuse($"the inline payload has {inline.Length} bytes, the offer says {_length}");
                return;
            }

            _chunks.Add(inline);
            _received = inline.Length;
            Store();
            return;
        }

        Context.SetReceiveTimeout(_settings.IdleTimeout);
        RequestNext();
    }

    private void OnChunk(PeerChunk chunk)
    {
        if (chunk.Offset != _received || chunk.Data.Length == 0 || _received + chunk.Data.Length > _length)
        {
            Refuse($"unexpected chunk at {chunk.Offset} of {chunk.Data.Length} bytes (expected {_received})");
            return;
        }

        _chunks.Add(chunk.Data);
        _received += chunk.Data.Length;
        if (_received < _length)
        {
            RequestNext();
            return;
        }

        Context.SetReceiveTimeout(null);
        Store();
    }

    private void RequestNext() =>
        _sender.Tell(new PeerChunkRequest(_offer.TransferId, _received, (int)Math.Min(_settings.ChunkSize, _length - _received)));

    private void Store()
    {
        var payload = ChunkSequence.Of(_chunks);
        Router.Messages.Envelope envelope;
        try
        {
            var json = payload.Slice(0, _offer.EnvelopeLength);
            envelope = EnvelopeCodec.Decode(json.IsSingleSegment ? json.FirstSpan : System.Buffers.BuffersExtensions.ToArray(json));
        }
        catch (JsonException e)
        {
            Refuse($"the envelope is malformed: {e.Message}");
            return;
        }

        var span = _tracing.StartTransferReceive(_offer);
        var storing = _store.StoreAsync(_offer, MessageTracing.ContinuedBy(envelope, span), payload.Slice(_offer.EnvelopeLength));
        MessageTracing.EndWhenDone(span, storing, id => id);
        storing.PipeTo(Self, success: id => new Stored(id), failure: e => new StoreFailed(e));
    }

    private void Refuse(string reason)
    {
        _sender.Tell(new PeerRefused(_offer.TransferId, reason));
        Context.Stop(Self);
    }
}
