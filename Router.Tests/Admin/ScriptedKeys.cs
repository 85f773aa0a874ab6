using Router.Node.Cmd;

namespace Router.Tests.Admin;

/// <summary>
/// Keys typed by a test: characters as they are, and \t Tab, \n Enter, \b Backspace, ↑ ↓ ← → the
/// arrows, \u0003 Ctrl-C, \u0004 Ctrl-D. Running out of keys is Ctrl-D (leave).
/// </summary>
internal sealed class ScriptedKeys(string script) : IKeySource
{
    private int _next;

    public ConsoleKeyInfo ReadKey()
    {
        if (_next >= script.Length)
            return new ConsoleKeyInfo('\u0004', ConsoleKey.D, false, false, true);
        var c = script[_next++];
        return c switch
        {
            '\t' => new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false),
            '\n' => new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false),
            '\b' => new ConsoleKeyInfo('\b', ConsoleKey.Backspace, false, false, false),
            '↑' => new ConsoleKeyInfo('\0', ConsoleKey.UpArrow, false, false, false),
            '↓' => new ConsoleKeyInfo('\0', ConsoleKey.DownArrow, false, false, false),
            '←' => new ConsoleKeyInfo('\0', ConsoleKey.LeftArrow, false, false, false),
            '→' => new ConsoleKeyInfo('\0', ConsoleKey.RightArrow, false, false, false),
            '\u0003' => new ConsoleKeyInfo('\u0003', ConsoleKey.C, false, false, true),
            '\u0004' => new ConsoleKeyInfo('\u0004', ConsoleKey.D, false, false, true),
            _ => new ConsoleKeyInfo(c, 0, false, false, false),
        };
    }
}
