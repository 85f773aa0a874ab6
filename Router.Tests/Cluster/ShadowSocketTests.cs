using Microsoft.Extensions.DependencyInjection;
using Router.Actors.Cluster.Shadow;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Router.Tests.Integration;

namespace Router.Tests.Cluster;

/// <summary>
/// The shadow socket path (<c>router.shadow-port</c>) between real nodes on loopback: once the owner has connected to
/// the holder's socket its copies go there instead of through remoting; with the holder's port off they go through
/// remoting; when the socket dies under load the copies keep being made, through remoting; and a port already in use
/// stops the start with a configuration error.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ShadowSocketTests : IAsyncLifetime
{
    private const string NoSpillOver = "spill-over.enabled = off";
    private const string PatientShadow = "shadow-timeout = 30s";

    private readonly ClusterNodes _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Once_the_owner_is_connected_to_the_holders_socket_every_copy_goes_there()
    {
        var (owner, holder, _) = await StartConnectedPairAsync();
        var (socketBefore, remotingBefore) = await CopiesByTransportAsync(owner);

        await SendAllAcceptedAsync(owner, 20, "socket");

        var (socketAfter, remotingAfter) = await CopiesByTransportAsync(owner);
        Assert.Equal(20, socketAfter - socketBefore);
        Assert.Equal(remotingBefore, remotingAfter);
        Assert.Equal(21, holder.Node.Shadows!.Count());
    }

    [Fact]
    public async Task With_the_holders_port_off_copies_go_through_remoting()
    {
        var (owner, holder) = await StartPairAsync(holderExtra: "shadow-port = off");

        await SendAllAcceptedAsync(owner, 20, "remoting");

        Assert.Null(holder.Node.Host.Services.GetService<ShadowSocketServer>());
        var (socket, remoting) = await CopiesByTransportAsync(owner);
        Assert.Equal(0, socket);
        Assert.Equal(20, remoting);
        Assert.Equal(20, holder.Node.Shadows!.Count());
    }

    [Fact]
    public async Task When_the_holders_socket_dies_the_copies_go_through_remoting_and_only_those_on_their_way_can_fail()
    {
        var (owner, holder, server) = await StartConnectedPairAsync();

        // Ten sessions sending while the holder's socket goes away under them.
        var sending = Task.WhenAll(Enumerable.Range(0, 10).Select(s => SendAllAcceptedAsync(owner, 10, $"s{s}")));
        await Eventually.TrueAsync(() => holder.Node.Shadows!.Count() > 5, TimeSpan.FromSeconds(30), "no copy arrived over the socket");
        server.Dispose();
        await sending;

        // Each 250 came with a copy on the holder or a counted failure; only the copies on their way when the socket
        // died can have failed (they may have landed: the holder is not asked twice), at most one per session.
        var held = holder.Node.Shadows!.Count();
        var failed = PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync()).Value("router_shadow_copies_total", ("result", "failed")) ?? 0;
        Assert.InRange(held, 91, 101);
        Assert.InRange(failed, 101 - held, 10);
        var (_, remoting) = await CopiesByTransportAsync(owner);
        Assert.True(remoting > 1, $"only {remoting} cop(ies) went through remoting: the copies after the socket died should have");
    }

    [Fact]
    public async Task A_shadow_port_already_in_use_stops_the_start_with_a_configuration_error_naming_the_key()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var start = await Record.ExceptionAsync(() => _cluster.AddNodeAsync(NoSpillOver, extra: $"shadow-port = {port}"));

        // However the host wraps it, the cause the operator reads is the configuration error.
        var error = Assert.IsType<Router.Actors.Configuration.RouterConfigException>(Cause(start));
        Assert.Contains("router.shadow-port", error.Message);
        Assert.Contains($":{port}", error.Message);
    }

    private static Exception? Cause(Exception? e)
    {
        while (e is not null and not Router.Actors.Configuration.RouterConfigException && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private async Task<(TestRouter Owner, TestRouter Holder)> StartPairAsync(string holderExtra = "")
    {
        var owner = await _cluster.AddNodeAsync(NoSpillOver, extra: PatientShadow);
        var holder = await _cluster.AddNodeAsync(NoSpillOver, extra: $"{PatientShadow}\n{holderExtra}");
        await _cluster.AllUpAsync();
        // Kept in the owner's queue, so that its copies stay on the holder to be counted.
        _cluster.FirewallOf(owner).Behavior = FirewallBehavior.Reject451OnMail;
        return (owner, holder);
    }

    /// <summary>A pair whose owner has sent one copy (by remoting, while it learns the holder's port) and is now connected.</summary>
    private async Task<(TestRouter Owner, TestRouter Holder, ShadowSocketServer Server)> StartConnectedPairAsync()
    {
        var (owner, holder) = await StartPairAsync();
        await SendAllAcceptedAsync(owner, 1, "first");
        var server = holder.Node.Host.Services.GetRequiredService<ShadowSocketServer>();
        await Eventually.TrueAsync(() => server.Connections == 1, TimeSpan.FromSeconds(15), "the owner did not connect to the holder's shadow socket");
        return (owner, holder, server);
    }

    private static async Task SendAllAcceptedAsync(TestRouter owner, int count, string prefix)
    {
        var replies = await TestMail.SendAsync(owner.Smtp, Enumerable.Range(0, count).Select(i => TestMail.Build($"{prefix}-{i}")).ToList());
        Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as", r));
    }

    /// <summary>Copies the owner sent in batches, by transport.</summary>
    private static async Task<(double Socket, double Remoting)> CopiesByTransportAsync(TestRouter owner)
    {
        var metrics = PrometheusText.Parse(await owner.Node.Metrics.ExportTextAsync());
        return (metrics.Value("router_shadow_batched_copies_total", ("transport", ShadowMetrics.SocketTransport)) ?? 0,
            metrics.Value("router_shadow_batched_copies_total", ("transport", ShadowMetrics.RemotingTransport)) ?? 0);
    }
}
