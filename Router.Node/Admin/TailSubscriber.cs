using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Node.Admin;

/// <summary>
/// One per <c>tail</c> client: subscribes to the node's event stream (firewall health transitions
/// and routing events) and hands each event to the HTTP response through a bounded channel; a client
/// that cannot keep up loses the oldest events rather than holding the node's memory.
/// </summary>
public sealed class TailSubscriber : ReceiveActor
{
    public const int Buffer = 1000;

    public TailSubscriber(ChannelWriter<TailEvent> events)
    {
        Receive<FirewallStateChanged>(e => events.TryWrite(new TailEvent("firewall", e.At, e.FirewallId,
            $"{e.From} -> {e.To}{(e.OpenFor is { } open ? $" (open for {open.TotalSeconds:0.#}s)" : string.Empty)}: {e.Reason}",
            JsonSerializer.SerializeToElement(e, AdminJson.Options))));
        Receive<RoutingEvent>(e => events.TryWrite(new TailEvent(e.Kind, e.At, e.Subject,
            e.Count > 0 ? $"{e.Detail} ({e.Count} job(s))" : e.Detail,
            JsonSerializer.SerializeToElement(e, AdminJson.Options))));
    }

    public static Props Props(ChannelWriter<TailEvent> events) => Akka.Actor.Props.Create(() => new TailSubscriber(events));

    public static Channel<TailEvent> NewChannel() =>
        Channel.CreateBounded<TailEvent>(new BoundedChannelOptions(Buffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(FirewallStateChanged));
        Context.System.EventStream.Subscribe(Self, typeof(RoutingEvent));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
