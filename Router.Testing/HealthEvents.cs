using System.Collections.Concurrent;
using Akka.Actor;
using Router.Messages.Health;

namespace Router.Testing;

/// <summary>Collects a node's firewall health transitions from its event stream.</summary>
public sealed class HealthEvents
{
    private readonly ConcurrentQueue<FirewallStateChanged> _events = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public static HealthEvents Attach(ActorSystem system)
    {
        var events = new HealthEvents();
        system.ActorOf(Props.Create(() => new Collector(events)));
        return events;
    }

    public IReadOnlyList<FirewallStateChanged> All => _events.ToArray();

    /// <summary>The first transition of <paramref name="firewall"/> into <paramref name="state"/> at or after <paramref name="since"/>.</summary>
    public async Task<FirewallStateChanged> WaitForAsync(string firewall, string state, DateTimeOffset since, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var match = _events.FirstOrDefault(e => e.FirewallId == firewall && e.To == state && e.At >= since);
            if (match is not null)
                return match;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
                throw new TimeoutException($"{firewall} did not become {state} within {timeout}; transitions: " +
                    string.Join("; ", _events.Select(e => $"{e.FirewallId} {e.From}->{e.To} at {e.At:HH:mm:ss.fff} ({e.Reason})")));
        }
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(HealthEvents events)
        {
            Receive<FirewallStateChanged>(e =>
            {
                events._events.Enqueue(e);
                events._arrived.Release();
            });
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(FirewallStateChanged));
    }
}
