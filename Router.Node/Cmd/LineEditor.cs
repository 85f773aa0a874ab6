using System.Text;

namespace Router.Node.Cmd;

/// <summary>Where the line editor gets its keys: the console, or a script in tests.</summary>
public interface IKeySource
{
    ConsoleKeyInfo ReadKey();
}

/// <summary>
/// A prompt line editor for the interactive client: left/right, home/end (Ctrl-A/Ctrl-E),
/// backspace/delete, history with up/down, Tab completion, Ctrl-C to drop the line, Ctrl-D to leave.
/// It draws with plain ANSI sequences on a text writer, so it runs on any terminal and under test.
/// </summary>
public sealed class LineEditor(IKeySource keys, TextWriter terminal, Func<string, IReadOnlyList<string>> complete)
{
    private readonly List<string> _history = [];

    public IReadOnlyList<string> History => _history;

    /// <summary>The line entered; null when the operator leaves (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        var line = new StringBuilder();
        var cursor = 0;
        var browsing = _history.Count;
        var draft = string.Empty;
        terminal.Write(prompt);
        terminal.Flush();
        while (true)
        {
            var key = keys.ReadKey();
            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    terminal.WriteLine();
                    var entered = line.ToString();
                    if (entered.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != entered))
                        _history.Add(entered);
                    return entered;
                case ConsoleKey.D when control:
                    if (line.Length == 0)
                    {
                        terminal.WriteLine();
                        return null;
                    }
                    if (cursor < line.Length)
                        line.Remove(cursor, 1);
                    break;
                case ConsoleKey.C when control:
                    terminal.WriteLine("^C");
                    line.Clear();
                    cursor = 0;
                    browsing = _history.Count;
                    terminal.Write(prompt);
                    break;
                case ConsoleKey.A when control:
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.E when control:
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.LeftArrow:
                    cursor = Math.Max(0, cursor - 1);
                    break;
                case ConsoleKey.RightArrow:
                    cursor = Math.Min(line.Length, cursor + 1);
                    break;
                case ConsoleKey.Backspace:
                    if (cursor > 0)
                        line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (cursor < line.Length)
                        line.Remove(cursor, 1);
                    break;
                case ConsoleKey.UpArrow:
                    if (browsing > 0)
                    {
                        if (browsing == _history.Count)
                            draft = line.ToString();
                        browsing--;
                        line.Clear().Append(_history[browsing]);
                        cursor = line.Length;
                    }
                    break;
                case ConsoleKey.DownArrow:
                    if (browsing < _history.Count)
                    {
                        browsing++;
                        line.Clear().Append(browsing == _history.Count ? draft : _history[browsing]);
                        cursor = line.Length;
                    }
                    break;
                case ConsoleKey.Tab:
                    cursor = Complete(prompt, line, cursor);
                    break;
                default:
                    if (key.KeyChar >= ' ' && !control)
                        line.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw(prompt, line, cursor);
        }
    }

    private int Complete(string prompt, StringBuilder line, int cursor)
    {
        var before = line.ToString(0, cursor);
        var candidates = complete(before);
        if (candidates.Count == 0)
            return cursor;
        var start = before.LastIndexOf(' ') + 1;
        var partial = before[start..];
        var common = candidates.Aggregate((a, b) => a[..CommonLength(a, b)]);
        if (candidates.Count == 1)
            common += " ";
        if (common.Length > partial.Length)
        {
            line.Remove(start, partial.Length).Insert(start, common);
            return start + common.Length;
        }
        // Nothing more to add: show the choices under the line and draw the prompt again.
        terminal.WriteLine();
        terminal.WriteLine(string.Join("  ", candidates));
        terminal.Write(prompt);
        return cursor;
    }

    private static int CommonLength(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
            n++;
        return n;
    }

    private void Redraw(string prompt, StringBuilder line, int cursor)
    {
        // Back to column 0, the prompt and the line, erase what is left of the old line, then put the cursor back.
        terminal.Write($"\r{prompt}{line}\u001b[K");
        if (line.Length > cursor)
            terminal.Write($"\u001b[{line.Length - cursor}D");
        terminal.Flush();
    }
}
