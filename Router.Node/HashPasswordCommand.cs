using System.Globalization;
using System.Text;
using Router.Actors.Ingress.Auth;

namespace Router.Node;

/// <summary>
/// <c>router hash-password</c>: prints the salted hash of a password for <c>router.smtp.auth.users</c>.
/// The password is typed at a prompt that does not echo it, or piped in with
/// <c>--password-stdin</c>; it is never taken from the command line, where <c>ps</c> and shell
/// history would show it.
/// </summary>
public static class HashPasswordCommand
{
    public const string Usage = "router hash-password [--password-stdin] [--iterations <n>]";

    public static int Run(string[] args) =>
        Run(args, Console.In, Console.Out, Console.Error, Console.IsInputRedirected ? null : ReadHidden);

    /// <param name="prompt">Asks for a line without echo; null when standard input is not a terminal.</param>
    internal static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?>? prompt)
    {
        var iterations = PasswordHash.DefaultIterations;
        var fromStdin = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--password-stdin":
                    fromStdin = true;
                    break;
                case "--iterations" when i + 1 < args.Length
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
                    && iterations >= PasswordHash.MinIterations:
                    i++;
                    break;
                case "--iterations":
                    return Fail(stderr, $"--iterations needs a whole number of at least {PasswordHash.MinIterations}");
                default:
                    return Fail(stderr, $"unknown option '{args[i]}'\nusage: {Usage}");
            }
        }

        string? password;
        if (fromStdin)
        {
            password = stdin.ReadLine();
        }
        else if (prompt is null)
        {
            return Fail(stderr, "standard input is not a terminal; pipe the password in with --password-stdin");
        }
        else
        {
            password = prompt("Password: ");
            if (password is not null && prompt("Repeat password: ") != password)
                return Fail(stderr, "the passwords do not match");
        }
        if (string.IsNullOrEmpty(password))
            return Fail(stderr, "no password given");

        stdout.WriteLine(PasswordHash.Create(password, iterations).ToString());
        return 0;
    }

    private static string? ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                    text.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"router: {message}");
        return 2;
    }
}
