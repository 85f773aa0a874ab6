using System.CommandLine;
using Router.Node;

namespace Router.Tests.Admin;

/// <summary>Issue 22: the executable's verbs and the operator commands on System.CommandLine: help, validation, completion.</summary>
public sealed class RouterCommandLineTests
{
    private static (int Code, string Output) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var code = RouterCommandLine.Build(args).Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = output });
        return (code, output.ToString());
    }

    [Theory]
    // The usage line starts with the executable's name: router, or the test host here.
    [InlineData(new[] { "--help" }, " [command] [options]", "hash-password")]
    [InlineData(new[] { "cmd", "--help" }, " cmd [command] [options]", "firewall")]
    [InlineData(new[] { "cmd", "firewall", "--help" }, " cmd firewall [<id>] [command] [options]", "--node")]
    [InlineData(new[] { "cmd", "queue", "redirect", "--help" }, " cmd queue redirect [<firewall> [<connector>]] [options]", "--cancel")]
    [InlineData(new[] { "demo", "--help" }, " demo [options]", "--messages")]
    public void Every_verb_and_command_has_help_from_the_library(string[] args, string usage, string mentions)
    {
        var (code, output) = Invoke(args);

        Assert.Equal(0, code);
        Assert.Contains(usage, output);
        Assert.Contains(mentions, output);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("demo", "--messages", "3")]
    [InlineData("demo", "--messages", "many")]
    [InlineData("cmd", "firewall", "trip")]
    [InlineData("cmd", "queue", "--state", "lost")]
    [InlineData("run", "--config")]
    public void A_wrong_command_line_is_a_parse_error(params string[] args) =>
        Assert.NotEmpty(RouterCommandLine.Build(args).Parse(args).Errors);

    [Theory]
    [InlineData("router cmd que", "queue")]
    [InlineData("router cmd firewall ", "trip")]
    [InlineData("router cmd queue --state ", "handing-over")]
    [InlineData("router ", "hash-password")]
    public void The_suggest_directive_completes_from_the_same_tree(string line, string expected)
    {
        var (code, output) = Invoke($"[suggest:{line.Length}]", line);

        Assert.Equal(0, code);
        Assert.Contains(expected, output.Split('\n', StringSplitOptions.TrimEntries));
    }
}
