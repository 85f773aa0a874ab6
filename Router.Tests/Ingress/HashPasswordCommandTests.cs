using System.Diagnostics;
using Router.Actors.Ingress.Auth;
using Router.Node;

namespace Router.Tests.Ingress;

/// <summary><c>router hash-password</c>: what it prints verifies against the hasher the listener uses.</summary>
public sealed class HashPasswordCommandTests
{
    private static (int Code, string Out, string Err) Run(string[] args, string stdin, Func<string, string?>? prompt = null)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = HashPasswordCommand.Run(args, new StringReader(stdin), output, errors, prompt);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void Password_stdin_prints_one_hash_that_verifies()
    {
        var (code, output, _) = Run(["--password-stdin", "--iterations", "10000"], "s3cret pass\n");

        Assert.Equal(0, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim();
        Assert.True(PasswordHash.TryParse(line, out var hash, out var error), error);
        Assert.Equal(10_000, hash.Iterations);
        Assert.True(hash.Verify("s3cret pass"));
    }

    [Fact]
    public void The_prompt_asks_twice_and_refuses_a_mismatch()
    {
        var answers = new Queue<string>(["one", "two"]);
        var (code, output, errors) = Run(["--iterations", "10000"], string.Empty, _ => answers.Dequeue());

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("do not match", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void The_prompt_hashes_a_confirmed_password()
    {
        var (code, output, _) = Run(["--iterations", "10000"], string.Empty, _ => "typed");

        Assert.Equal(0, code);
        Assert.True(PasswordHash.TryParse(output.Trim(), out var hash, out _));
        Assert.True(hash.Verify("typed"));
    }

    [Theory]
    [InlineData(new[] { "--password-stdin" }, "", "no password given")]
    [InlineData(new string[0], "piped", "not a terminal")]
    [InlineData(new[] { "--iterations", "10" }, "", "at least 10000")]
    [InlineData(new[] { "hunter2" }, "", "unknown option")]
    public void Refusals_print_nothing_on_stdout(string[] args, string stdin, string problem)
    {
        var (code, output, errors) = Run(args, stdin);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains(problem, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_router_executable_hashes_a_piped_password()
    {
        var routerDll = Path.Combine(AppContext.BaseDirectory, "router.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{routerDll}\" hash-password --password-stdin --iterations 10000")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteLineAsync("from a pipe");
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(process.ExitCode == 0, errors);
        Assert.True(PasswordHash.TryParse(output.Trim(), out var hash, out var error), error);
        Assert.True(hash.Verify("from a pipe"));
    }
}
