using Router.Node.Cmd;

namespace Router.Tests.Admin;

/// <summary>Issue 20's client commands (holds, show, export, route test for one message), parsed without a console or a node.</summary>
public sealed class HoldCommandParserTests
{
    private static ApiCall Parse(string line) => CommandParser.Parse(CommandParser.Split(line));

    [Theory]
    [InlineData("queue hold Q1", "POST", "/api/queue/Q1/hold", "result")]
    [InlineData("queue release Q1", "POST", "/api/queue/Q1/release", "result")]
    [InlineData("connector hold out-a", "POST", "/api/connectors/out-a/hold", "result")]
    [InlineData("connector release out-a", "POST", "/api/connectors/out-a/release", "result")]
    [InlineData("outbound pause", "POST", "/api/outbound/pause", "result")]
    [InlineData("outbound resume", "POST", "/api/outbound/resume", "result")]
    [InlineData("outbound pause --node node2", "POST", "/api/outbound/pause?node=node2", "result")]
    [InlineData("queue show Q1", "GET", "/api/queue/Q1", "message")]
    [InlineData("queue --state held", "GET", "/api/queue?state=held", "queue")]
    [InlineData("route test bob@partner.example --sender a@corp.example --size 20000000", "GET",
        "/api/route/bob%40partner.example?sender=a%40corp.example&size=20000000", "route")]
    public void Each_command_becomes_its_api_call(string line, string method, string path, string view) =>
        Assert.Equal(new ApiCall(method, path, view), Parse(line));

    [Fact]
    public void Export_downloads_to_the_named_file()
    {
        var call = Parse("queue export Q1 --output /tmp/q1.eml");

        Assert.Equal(("GET", "/api/queue/Q1/eml", "/tmp/q1.eml"), (call.Method, call.Path, call.OutputFile));
    }

    [Theory]
    [InlineData("queue export Q1")]
    [InlineData("connector hold")]
    [InlineData("queue hold")]
    public void A_missing_argument_is_a_usage_error(string line) =>
        Assert.Equal(CmdException.UsageError, Assert.Throws<CmdException>(() => Parse(line)).ExitCode);
}
