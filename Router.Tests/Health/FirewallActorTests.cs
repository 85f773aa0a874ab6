using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Router.Actors.Configuration;
using Router.Actors.Health;
using Router.Messages.Delivery;
using Router.Messages.Health;

namespace Router.Tests.Health;

/// <summary>
/// The firewall actor's protocol towards its connector (the test actor), against a listener that
/// accepts connections and never greets, so a delivery holds its connection until abandoned.
/// </summary>
public sealed class FirewallActorTests : TestKit, IDisposable
{
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);

    public FirewallActorTests() => _silent.Start();

    [Fact]
    public void On_a_trip_the_connector_hears_that_the_firewall_takes_no_work_before_it_gets_the_waiting_jobs_back()
    {
        var options = new FirewallOptions
        {
            Id = "fw",
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_silent.LocalEndpoint).Port,
            MaxConnections = 1,
            GreetingTimeout = TimeSpan.FromMinutes(1),
        };
        var firewall = Sys.ActorOf(FirewallActor.Props(options, ["out"], "node", _ => Stream.Null, poisonAfter: 3));
        firewall.Tell(new SubscribeFirewall("out"));
        Assert.True(ExpectMsg<FirewallStatus>().AcceptsWork);
        var running = new DeliveryJob("Q1", "a@example.org", [0], ["x@example.com"], 10, "*;1", 0);
        var waiting = running with { QueueId = "Q2" };
        firewall.Tell(new DeliverJob(running));
        firewall.Tell(new DeliverJob(waiting));

        firewall.Tell(new FirewallCommand("fw", FirewallAction.Trip));

        Assert.False(ExpectMsg<FirewallStatus>().AcceptsWork);
        Assert.Equal(["Q2"], ExpectMsg<JobsReturned>().Jobs.Select(j => j.QueueId));
        Assert.Equal("tripped", ExpectMsg<FirewallSnapshot>().State);
        // The running attempt is abandoned, and reported as such, to be placed elsewhere.
        Assert.Equal(AttemptOutcome.Aborted, ExpectMsg<DeliveryAttempted>().Result.Outcome);
    }

    void IDisposable.Dispose()
    {
        _silent.Stop();
        base.Dispose();
    }
}
