using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;
using Xunit.Abstractions;

namespace Router.Tests.Integration;

/// <summary>
/// Thousands of randomly mutated SMTP sessions (one transaction in three in BDAT chunks) against one running router: byte flips,
/// truncations, doubled and missing CRLFs, overlong lines, random commands, pipelined bursts and
/// abrupt closes. Afterwards the node must still be up and answer a clean session, every message
/// acknowledged with 250 must have been delivered exactly once and nothing else delivered, and
/// memory must not have grown without bound. Generated with CsCheck from one seed, which is
/// printed (set ROUTER_FUZZ_SEED to replay a run; ROUTER_FUZZ_SESSIONS to change the count).
/// Run alone with <c>--filter Category=Fuzz</c>.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(SmtpFuzzCollection.Name)]
public sealed partial class SmtpFuzzTests(ITestOutputHelper output)
{
    private const ulong DefaultSeed = 20261128;
    private static readonly TimeSpan TimeBudget = TimeSpan.FromSeconds(45);

    private static readonly string[] RandomCommands =
    [
        "RSET", "NOOP", "VRFY root", "EXPN staff", "HELP", "STARTTLS", "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH LOGIN",
        "BDAT 100 LAST", "MAIL FROM:<> SIZE=abc", "MAIL FROM:<x@example.org> SIZE=99999999999", "MAIL FROM:a@example.org",
        "RCPT TO:<postmaster>", "RCPT TO:<a%b@example.net>", "RCPT TO:<@relay:a@example.net>", "DATA", "QUIT",
        "EHLO", "HELO \u0001\u0002", "\u0000\u0000\u0000", "MAIL FROM:<a@example.org> BODY=BINARYMIME", ".", "..",
        "RCPT TO:<r@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.net",
    ];

    private sealed record Mutation(int Kind, int Position, int Value, int Length, int Command);

    private sealed record FuzzSession(int Recipients, int BodyLines, int Transactions, Mutation[] Mutations, bool Burst, int ChunkSize, bool Abrupt);

    private static readonly Gen<Mutation> MutationGen =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, int.MaxValue], Gen.Int[0, 255], Gen.Int[400, 5000], Gen.Int[0, RandomCommands.Length - 1],
            (kind, position, value, length, command) => new Mutation(kind, position, value, length, command));

    private static readonly Gen<FuzzSession> SessionGen =
        Gen.Select(Gen.Int[1, 3], Gen.Int[0, 30], Gen.Int[1, 2], MutationGen.Array[0, 4], Gen.Bool, Gen.Int[1, 200], Gen.Int[0, 9],
            (rcpts, lines, transactions, mutations, burst, chunk, abrupt) =>
                new FuzzSession(rcpts, lines, transactions, mutations, burst, chunk, abrupt == 0));

    [Fact]
    public async Task Mutated_sessions_leave_the_node_up_deliver_exactly_the_acknowledged_messages_and_keep_memory_bounded()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("ROUTER_FUZZ_SEED"), out var s) ? s : DefaultSeed;
        var count = int.TryParse(Environment.GetEnvironmentVariable("ROUTER_FUZZ_SESSIONS"), out var n) ? n : 2000;
        output.WriteLine($"fuzz seed {seed} (ROUTER_FUZZ_SEED={seed} replays it), {count} sessions");
        var pcg = new PCG(1, seed);
        var sessions = Enumerable.Range(0, count).Select(i => SessionGen.Generate(pcg, null, out var size)).ToArray();

        await using var fw = await FakeFirewall.StartAsync("fw-a");
        await using var router = await SmtpLimitTests.StartAsync(fw, """
            max-message-size = 1000000, max-inflight-bytes = 3000000, max-recipients = 100, max-errors = 10
            command-timeout = 1s, data-timeout = 500ms, data-total-timeout = 2s
            """);
        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        var acked = new System.Collections.Concurrent.ConcurrentBag<string>();
        var resets = 0;
        var run = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            if (clock.Elapsed > TimeBudget)
                return;
            Interlocked.Increment(ref run);
            var (ids, reset) = await RunAsync(router, i, sessions[i], seed);
            foreach (var id in ids)
                acked.Add(id);
            if (reset)
                Interlocked.Increment(ref resets);
        });
        output.WriteLine($"{run} sessions in {clock.Elapsed.TotalSeconds:0.0}s: {acked.Count} acknowledged, {resets} reset by the server");
        Assert.True(run >= Math.Min(count, 500), $"seed {seed}: only {run} sessions ran within {TimeBudget}");

        // The node is up and answers every command of a clean session.
        var (clean, greeting) = await RawSmtpSession.OpenAsync(router.Smtp);
        using (clean)
        {
            Assert.StartsWith("220 ", greeting);
            Assert.StartsWith("250", await clean.ReplyAsync("EHLO clean.test"));
            Assert.StartsWith("250", await clean.ReplyAsync("NOOP"));
            Assert.StartsWith("250", await clean.ReplyAsync("MAIL FROM:<clean@example.org>"));
            Assert.StartsWith("250", await clean.ReplyAsync("RCPT TO:<b@example.net>"));
            Assert.StartsWith("354", await clean.ReplyAsync("DATA"));
            var reply = await clean.ReplyAsync("Subject: clean\r\n\r\nafter the fuzz\r\n.");
            Assert.Matches(QueuedReply(), reply);
            acked.Add(QueuedReply().Match(reply).Groups[1].Value);
            Assert.StartsWith("221", await clean.ReplyAsync("QUIT"));
        }

        // Every acknowledged message is delivered exactly once; a message is delivered unacknowledged
        // only where the server reset the connection before the client read its 250.
        await Eventually.TrueAsync(() => router.Node.Spool.Statistics.MessagesQueued == 0, TimeSpan.FromSeconds(60),
            () => $"seed {seed}: {router.Node.Spool.Statistics.MessagesQueued} messages still queued");
        // A message the firewall refused comes back to its sender as a DSN that quotes it: its id
        // is then the second one in the DSN (the first is the DSN's own).
        var texts = fw.Messages.Select(m => (m.MailFrom, Text: Encoding.Latin1.GetString(m.Data))).ToList();
        var delivered = texts.Select(m => DeliveredId().Match(m.Text).Groups[1].Value).ToList();
        var bounced = texts.Where(m => m.MailFrom.Length == 0)
            .SelectMany(m => DeliveredId().Matches(m.Text).Skip(1).Select(x => x.Groups[1].Value)).ToHashSet();
        output.WriteLine($"{delivered.Count} delivered, {bounced.Count} of them bounced back");
        var duplicates = delivered.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"seed {seed}: delivered more than once: {string.Join(", ", duplicates.Take(20))}");
        var missing = acked.Except(delivered).Except(bounced).ToList();
        Assert.True(missing.Count == 0, $"seed {seed}: acknowledged but not delivered: {missing.Count} of {acked.Count}, e.g. {string.Join(", ", missing.Take(20))}");
        var unacknowledged = delivered.Except(acked).Count();
        Assert.True(unacknowledged <= resets, $"seed {seed}: {unacknowledged} delivered without a 250 the client saw, {resets} resets");

        GC.Collect();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"managed memory {memoryBefore / 1048576.0:0.0} MiB before, {memoryAfter / 1048576.0:0.0} MiB after");
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024,
            $"seed {seed}: managed memory grew from {memoryBefore} to {memoryAfter} bytes");
    }

    /// <summary>Plays one session; returns the queue ids the server acknowledged and whether it reset the connection.</summary>
    private static async Task<(List<string> Acked, bool Reset)> RunAsync(TestRouter router, int index, FuzzSession session, ulong seed)
    {
        var bytes = Build(index, session);
        var acked = new List<string>();
        using var client = new TcpClient();
        await client.ConnectAsync(router.Smtp);
        var stream = client.GetStream();
        var reader = Task.Run(async () =>
        {
            var replies = new StreamReader(stream, Encoding.Latin1);
            try
            {
                while (await replies.ReadLineAsync() is { } line)
                {
                    if (QueuedReply().Match(line) is { Success: true } queued)
                        acked.Add(queued.Groups[1].Value);
                    if (line.StartsWith("221", StringComparison.Ordinal))
                        return false;
                }
                return false;
            }
            catch (IOException)
            {
                return true;
            }
        });
        try
        {
            if (session.Burst)
            {
                await stream.WriteAsync(bytes);
            }
            else
            {
                for (var at = 0; at < bytes.Length; at += session.ChunkSize)
                    await stream.WriteAsync(bytes.AsMemory(at, Math.Min(session.ChunkSize, bytes.Length - at)));
            }
        }
        catch (IOException)
        {
            // The server closed first (a limit); the replies say why.
        }
        if (session.Abrupt)
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
            await reader.ContinueWith(_ => { }, TaskScheduler.Default);
            return ([], false);
        }
        // The server ends every session within its timeouts (1s for a command, 2s for data).
        var finished = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(finished == reader, $"seed {seed}: session {index} was neither ended by the client nor closed by the server");
        return (acked, await reader);
    }

    /// <summary>The session's bytes: a valid session, mutated; abrupt sessions stop before their first end of data.</summary>
    private static byte[] Build(int index, FuzzSession session)
    {
        var text = new StringBuilder("EHLO fuzz.test\r\n");
        for (var t = 0; t < session.Transactions; t++)
        {
            text.Append("MAIL FROM:<f").Append(index).Append("@example.org>\r\n");
            for (var r = 0; r < session.Recipients; r++)
                text.Append("RCPT TO:<r").Append(r).Append("@example.net>\r\n");
            var body = new StringBuilder("Subject: fuzz ").Append(index).Append("\r\n\r\n");
            for (var l = 0; l < session.BodyLines; l++)
                body.Append("line ").Append(l).Append(" of fuzz message ").Append(index).Append("\r\n");
            if ((index + t) % 3 == 0)
            {
                // Every third transaction in BDAT chunks (RFC 3030), cut every few lines, the last one LAST.
                var content = body.ToString();
                var size = 5 * session.ChunkSize;
                for (var at = 0; at < content.Length; at += size)
                {
                    var chunk = content.Substring(at, Math.Min(size, content.Length - at));
                    text.Append("BDAT ").Append(chunk.Length).Append(at + size >= content.Length ? " LAST" : string.Empty).Append("\r\n").Append(chunk);
                }
            }
            else
                text.Append("DATA\r\n").Append(body).Append(".\r\n");
        }
        var bytes = new List<byte>(Encoding.Latin1.GetBytes(text.ToString()));
        foreach (var m in session.Mutations)
        {
            var at = bytes.Count == 0 ? 0 : m.Position % bytes.Count;
            switch (m.Kind)
            {
                case 0: // flip a byte
                    if (bytes.Count > 0)
                        bytes[at] = (byte)(bytes[at] ^ (m.Value | 1));
                    break;
                case 1: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2: // double a CRLF
                    bytes.InsertRange(LineStart(bytes, at), "\r\n"u8.ToArray());
                    break;
                case 3: // lose a CRLF
                    var lineEnd = LineStart(bytes, at);
                    if (lineEnd >= 2)
                        bytes.RemoveRange(lineEnd - 2, 2);
                    break;
                case 4: // an overlong line
                    bytes.InsertRange(LineStart(bytes, at), Encoding.Latin1.GetBytes(new string((char)('a' + (m.Value % 26)), m.Length) + "\r\n"));
                    break;
                case 5: // a random command
                    bytes.InsertRange(LineStart(bytes, at), Encoding.Latin1.GetBytes(RandomCommands[m.Command] + "\r\n"));
                    break;
                case 6: // a bare LF or CR
                    bytes.Insert(at, m.Value % 2 == 0 ? (byte)'\n' : (byte)'\r');
                    break;
                default: // a burst of repeated commands
                    var burst = string.Concat(Enumerable.Repeat(RandomCommands[m.Command] + "\r\n", 1 + (m.Value % 40)));
                    bytes.InsertRange(LineStart(bytes, at), Encoding.Latin1.GetBytes(burst));
                    break;
            }
        }
        var result = bytes.ToArray();
        if (session.Abrupt)
        {
            var end = result.AsSpan().IndexOf("\r\n.\r\n"u8);
            var last = result.AsSpan().IndexOf(" LAST\r\n"u8);
            if (last >= 0 && (end < 0 || last < end))
                return result[..last];
            return end < 0 ? result : result[..(end + 2)];
        }
        return [.. result, .. "QUIT\r\n"u8];
    }

    /// <summary>The start of the line holding <paramref name="at"/> (after the previous LF).</summary>
    private static int LineStart(List<byte> bytes, int at)
    {
        for (var i = Math.Min(at, bytes.Count) - 1; i >= 0; i--)
        {
            if (bytes[i] == (byte)'\n')
                return i + 1;
        }
        return 0;
    }

    [GeneratedRegex(@"^250 2\.0\.0 Ok: queued as (\S+)")]
    private static partial Regex QueuedReply();

    [GeneratedRegex(@"with ESMTP id ([0-9A-Za-z]+)")]
    private static partial Regex DeliveredId();
}

/// <summary>
/// The fuzz test measures the process's managed memory, so it runs alone: routers of tests
/// running beside it would count against its bound.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SmtpFuzzCollection
{
    public const string Name = "fuzz (alone: it measures process memory)";
}
