using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;

namespace Router.Actors.Ingress.Inbound;

/// <summary>What the internal server said of one recipient.</summary>
internal enum CalloutVerdict
{
    /// <summary>2xx at RCPT: the mailbox exists.</summary>
    Valid,

    /// <summary>5xx at RCPT: no such mailbox.</summary>
    Unknown,

    /// <summary>No definite answer: unreachable, timed out, a 4xx, or the session failed before RCPT.</summary>
    Temporary,
}

/// <summary>One callout's outcome; <see cref="Detail"/> says what happened, for the reply and the log.</summary>
internal sealed record CalloutResult(CalloutVerdict Verdict, string Detail, bool NoAnswer = false);

/// <summary>
/// Recipient verification by callout (Exim's callout, Postfix's reject_unverified_recipient): the internal server is
/// asked EHLO, MAIL FROM:&lt;&gt;, RCPT TO:&lt;address&gt;, QUIT, and its RCPT answer decides. Definite answers are
/// cached per address for <see cref="RecipientValidationOptions.CalloutCache"/>; temporary failures never are.
/// </summary>
internal sealed class RecipientCallout(RecipientValidationOptions options, string helo, ILogger logger, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (CalloutResult Result, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async Task<CalloutResult> CheckAsync(string address, CancellationToken cancellationToken)
    {
        var key = address.ToLowerInvariant();
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
            return cached.Result;

        var result = await AskAsync(address, cancellationToken).ConfigureAwait(false);
        if (result.Verdict != CalloutVerdict.Temporary && options.CalloutCache > TimeSpan.Zero)
        {
            _cache[key] = (result, now + options.CalloutCache);
            if (_cache.Count > 100_000)
                foreach (var stale in _cache.Where(e => e.Value.Until <= now).Select(e => e.Key).ToArray())
                    _cache.TryRemove(stale, out _);
        }
        logger.LogInformation("Recipient callout to {Server} for <{Address}>: {Verdict} ({Detail})", Server, address, result.Verdict, result.Detail);
        return result;
    }

    private string Server => $"{options.Callout!.Host}:{options.Callout.Port}";

    private async Task<CalloutResult> AskAsync(string address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CalloutTimeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(options.Callout!.Host, options.Callout.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new CalloutResult(CalloutVerdict.Temporary, $"cannot connect to {Server}: {(e is OperationCanceledException ? "timed out" : e.Message)}", NoAnswer: true);
        }

        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
        try
        {
            var greeting = await ReplyAsync(reader, timeout.Token).ConfigureAwait(false);
            if (greeting.Code != 220)
                return Temporary("greeting", greeting);
            var ehlo = await CommandAsync(stream, reader, $"EHLO {helo}", timeout.Token).ConfigureAwait(false);
            if (ehlo.Code / 100 != 2)
            {
                ehlo = await CommandAsync(stream, reader, $"HELO {helo}", timeout.Token).ConfigureAwait(false);
                if (ehlo.Code / 100 != 2)
                    return Temporary("HELO", ehlo);
            }
            var mail = await CommandAsync(stream, reader, "MAIL FROM:<>", timeout.Token).ConfigureAwait(false);
            if (mail.Code / 100 != 2)
                return Temporary("MAIL FROM:<>", mail);
            var rcpt = await CommandAsync(stream, reader, $"RCPT TO:<{address}>", timeout.Token).ConfigureAwait(false);
            try
            {
                await CommandAsync(stream, reader, "QUIT", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The answer that matters is in; a server that drops the QUIT changes nothing.
            }
            return (rcpt.Code / 100) switch
            {
                2 => new CalloutResult(CalloutVerdict.Valid, rcpt.Line),
                5 => new CalloutResult(CalloutVerdict.Unknown, rcpt.Line),
                _ => Temporary("RCPT", rcpt),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CalloutResult(CalloutVerdict.Temporary, $"{Server} did not answer within {options.CalloutTimeout.TotalSeconds:0.#} s", NoAnswer: true);
        }
        catch (Exception e) when (e is IOException or SocketException or FormatException)
        {
            return new CalloutResult(CalloutVerdict.Temporary, $"the session with {Server} failed: {e.Message}");
        }
    }

    private CalloutResult Temporary(string step, Reply reply) =>
        new(CalloutVerdict.Temporary, $"{Server} answered {step} with \"{reply.Line}\"");

    private readonly record struct Reply(int Code, string Line);

    private static async Task<Reply> CommandAsync(NetworkStream stream, StreamReader reader, string command, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
        return await ReplyAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one reply, multi-line included; its last line is kept.</summary>
    private static async Task<Reply> ReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("the connection was closed");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code) || code is < 200 or > 599)
                throw new FormatException($"\"{line}\" is not an SMTP reply");
            if (line.Length == 3 || line[3] != '-')
                return new Reply(code, line);
        }
    }
}
