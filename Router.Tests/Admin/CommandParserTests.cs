using Router.Node.Cmd;

namespace Router.Tests.Admin;

/// <summary>The client's command language, parsed without a console or a node.</summary>
public sealed class CommandParserTests
{
    private static ApiCall Parse(string line) => CommandParser.Parse(CommandParser.Split(line));

    [Theory]
    [InlineData("cluster show", "GET", "/api/cluster", "cluster")]
    [InlineData("cluster leave akka://router@10.0.0.2:4053", "POST", "/api/cluster/leave?address=akka%3A%2F%2Frouter%4010.0.0.2%3A4053", "result")]
    [InlineData("cluster leave", "POST", "/api/cluster/leave", "result")]
    [InlineData("cluster down akka://router@h:1", "POST", "/api/cluster/down?address=akka%3A%2F%2Frouter%40h%3A1", "result")]
    [InlineData("actor hierarchy", "GET", "/api/actors", "actors")]
    [InlineData("actor hierarchy -d 2 --all", "GET", "/api/actors?depth=2&all=true", "actors")]
    [InlineData("firewalls", "GET", "/api/firewalls", "firewalls")]
    [InlineData("firewall fw-a", "GET", "/api/firewalls/fw-a", "firewall")]
    [InlineData("firewall trip fw-a", "POST", "/api/firewalls/fw-a/trip?all-nodes=true", "firewalls")]
    [InlineData("firewall reset fw-a --node router-2", "POST", "/api/firewalls/fw-a/reset?node=router-2", "firewall")]
    [InlineData("firewall --node n1 drain fw.b", "POST", "/api/firewalls/fw.b/drain?node=n1", "firewall")]
    [InlineData("connectors", "GET", "/api/connectors", "connectors")]
    [InlineData("queue", "GET", "/api/queue", "queue")]
    [InlineData("queue --connector out-a --state deferred --sender a@b.example", "GET", "/api/queue?connector=out-a&state=deferred&sender=a%40b.example", "queue")]
    [InlineData("queue --firewall fw-a", "GET", "/api/queue?firewall=fw-a", "queue")]
    [InlineData("queue retry", "POST", "/api/queue/retry", "result")]
    [InlineData("queue retry Q123", "POST", "/api/queue/retry?id=Q123", "result")]
    [InlineData("queue suspend out-a", "POST", "/api/connectors/out-a/suspend", "result")]
    [InlineData("queue resume out-a", "POST", "/api/connectors/out-a/resume", "result")]
    [InlineData("queue redirect fw-a out-b", "POST", "/api/firewalls/fw-a/redirect?to=out-b", "result")]
    [InlineData("queue redirect --cancel fw-a", "DELETE", "/api/firewalls/fw-a/redirect", "result")]
    [InlineData("queue delete Q123", "DELETE", "/api/queue/Q123", "result")]
    [InlineData("queue delete Q123 --bounce", "DELETE", "/api/queue/Q123?bounce=true", "result")]
    [InlineData("queue --node node2 --state held", "GET", "/api/queue?state=held&node=node2", "queue")]
    [InlineData("queue retry Q123 --node node2", "POST", "/api/queue/retry?id=Q123&node=node2", "result")]
    [InlineData("queue suspend out-a --node node3", "POST", "/api/connectors/out-a/suspend?node=node3", "result")]
    [InlineData("queue resume out-a --node node3", "POST", "/api/connectors/out-a/resume?node=node3", "result")]
    [InlineData("queue redirect fw-a out-b --node n2", "POST", "/api/firewalls/fw-a/redirect?to=out-b&node=n2", "result")]
    [InlineData("queue redirect --cancel fw-a --node n2", "DELETE", "/api/firewalls/fw-a/redirect?node=n2", "result")]
    [InlineData("queue delete Q123 --bounce --node n2", "DELETE", "/api/queue/Q123?bounce=true&node=n2", "result")]
    [InlineData("queue hold Q123 --node n2", "POST", "/api/queue/Q123/hold?node=n2", "result")]
    [InlineData("connector release out-a --node n2", "POST", "/api/connectors/out-a/release?node=n2", "result")]
    [InlineData("route test \"bob smith\"@example.com", "GET", "/api/route/bob%20smith%40example.com", "route")]
    [InlineData("route test bob@example.com", "GET", "/api/route/bob%40example.com", "route")]
    [InlineData("tail", "GET", "/api/tail", "tail")]
    public void Each_command_maps_to_its_admin_api_request(string line, string method, string path, string view) =>
        Assert.Equal(new ApiCall(method, path, view), Parse(line));

    [Theory]
    [InlineData("", "no command")]
    [InlineData("launch", "unknown command 'launch'")]
    [InlineData("cluster", "usage: cluster show|leave|down")]
    [InlineData("cluster down", "usage: cluster down <address>")]
    [InlineData("firewall trip", "usage: firewall trip <id>")]
    [InlineData("firewall trip fw-a extra", "unexpected 'extra'")]
    [InlineData("queue --state lost", "--state is one of queued, deferred, parked")]
    [InlineData("queue redirect fw-a", "usage: queue redirect <firewall> <connector>")]
    [InlineData("queue frobnicate", "unknown queue command 'frobnicate'")]
    [InlineData("actor hierarchy -d many", "-d needs a number")]
    [InlineData("route test", "usage: route test <address>")]
    [InlineData("queue --connector", "--connector needs a value")]
    [InlineData("route test \"open", "unterminated quote")]
    public void A_wrong_command_is_a_usage_error_with_one_line(string line, string message)
    {
        var error = Assert.Throws<CmdException>(() => Parse(line));

        Assert.Equal(CmdException.UsageError, error.ExitCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
