using Router.Node.Cmd;

namespace Router.Tests.Admin;

/// <summary>The interactive prompt's line editing, history and Tab completion, driven by scripted keys.</summary>
public sealed class LineEditorTests
{
    private static readonly Completer Completer = new(["fw-a", "fw-b", "mailhub"], ["out-a", "out-b", "partner"]);

    private static (LineEditor Editor, StringWriter Screen) Editor(string keys)
    {
        var screen = new StringWriter();
        return (new LineEditor(new ScriptedKeys(keys), screen, Completer.Complete), screen);
    }

    [Fact]
    public void Typed_text_with_cursor_moves_and_backspace_is_the_line()
    {
        var (editor, _) = Editor("firewalx\bls\n" + "quue←←e\n");

        Assert.Equal("firewalls", editor.ReadLine("> "));
        Assert.Equal("queue", editor.ReadLine("> "));
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_come_back_to_the_draft()
    {
        var (editor, _) = Editor("firewalls\nconnectors\n" + "↑↑\n" + "draft↑↓\n" + "\u0004");

        editor.ReadLine("> ");
        editor.ReadLine("> ");
        Assert.Equal("firewalls", editor.ReadLine("> "));
        Assert.Equal("draft", editor.ReadLine("> "));
        Assert.Null(editor.ReadLine("> "));
        Assert.Equal(["firewalls", "connectors", "firewalls", "draft"], editor.History);
    }

    [Fact]
    public void Tab_completes_commands_and_the_nodes_ids()
    {
        // "conn<Tab>" stops at "connector" (the connector command and the connectors list); "s<Tab>" finishes it.
        var (editor, _) = Editor("conn\ts\t\n" + "firewall tr\tm\t\n" + "queue susp\tp\t\n" + "queue --state def\t\n");

        Assert.Equal("connectors ", editor.ReadLine("> "));
        Assert.Equal("firewall trip mailhub ", editor.ReadLine("> "));
        Assert.Equal("queue suspend partner ", editor.ReadLine("> "));
        Assert.Equal("queue --state deferred ", editor.ReadLine("> "));
    }

    [Fact]
    public void Tab_with_several_choices_extends_the_common_part_then_lists_them()
    {
        var (editor, screen) = Editor("firewall trip fw\t\tb\n");

        Assert.Equal("firewall trip fw-b", editor.ReadLine("> "));
        Assert.Contains("fw-a  fw-b", screen.ToString());
    }

    [Fact]
    public void Ctrl_c_drops_the_line_and_ctrl_d_on_an_empty_line_leaves()
    {
        var (editor, _) = Editor("queue delete X\u0003tail\n\u0004");

        Assert.Equal("tail", editor.ReadLine("> "));
        Assert.Null(editor.ReadLine("> "));
    }

    [Theory]
    [InlineData("", new[] { "actor", "cluster", "config", "connector", "connectors", "exit", "firewall", "firewalls", "help", "outbound", "queue", "route", "tail", "track" })]
    [InlineData("cluster ", new[] { "down", "leave", "show" })]
    [InlineData("firewall ", new[] { "drain", "fw-a", "fw-b", "mailhub", "reset", "trip" })]
    [InlineData("queue --connector ", new[] { "out-a", "out-b", "partner" })]
    [InlineData("queue redirect ", new[] { "--cancel", "--node", "fw-a", "fw-b", "mailhub" })]
    [InlineData("queue redirect fw-a o", new[] { "out-a", "out-b" })]
    [InlineData("route ", new[] { "test" })]
    [InlineData("route test ", new[] { "--sender", "--size" })]
    public void Completions_depend_on_the_words_before(string line, string[] expected) =>
        Assert.Equal(expected, Completer.Complete(line));
}
