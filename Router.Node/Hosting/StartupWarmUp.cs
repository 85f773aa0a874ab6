using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime;
using System.Text;
using Router.Actors.Configuration;
using Router.Testing.Firewalls;
using Serilog;

namespace Router.Node.Hosting;

/// <summary>
/// Issue 21: a fresh process compiles the mail path's methods (ours, Akka's, SmtpServer's, MailKit's) while its first
/// messages wait, and ran at a quarter of its warm rate for its first 500 messages. Before <c>router run</c> opens its
/// listener, this sends <see cref="WarmUpOptions.Messages"/> synthetic messages over real SMTP through a throwaway
/// node of the same code in this process: its own temporary spool (fsync'd like the real one), an in-process SMTP
/// sink as its only firewall, no admin endpoint, no cluster, no log. The JIT's work is per process, so the real node
/// starts with that code compiled. Nothing of the throwaway node touches the real spool, tracking log, metrics or
/// cluster; the warm-up never stops the node from starting: on any failure, or after <see cref="WarmUpOptions.MaxTime"/>,
/// it logs why and the node starts as it would have without it.
/// </summary>
internal static class StartupWarmUp
{
    private const string Sender = "warm-up@warm-up.invalid";
    private const string Recipient = "sink@warm-up.invalid";

    /// <summary>The environment variable that overrides <c>router.warm-up.messages</c> (0 = off), e.g. for a node started many times in a row by a test or a script.</summary>
    public const string MessagesVariable = "ROUTER_WARM_UP_MESSAGES";

    /// <summary><paramref name="configured"/>, with <see cref="MessagesVariable"/> applied when it is set to a whole number from 0 to 100000 (otherwise ignored, with a warning).</summary>
    public static WarmUpOptions FromEnvironment(WarmUpOptions configured)
    {
        if (Environment.GetEnvironmentVariable(MessagesVariable) is not { } text)
            return configured;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var messages) && messages <= 100_000)
            return configured with { Messages = messages };
        Log.Warning("{Variable}={Value} is not a whole number from 0 to 100000; router.warm-up.messages = {Messages} applies", MessagesVariable, text, configured.Messages);
        return configured;
    }

    public static async Task RunAsync(WarmUpOptions options, CancellationToken stop)
    {
        if (!options.Enabled)
            return;
        var started = Stopwatch.StartNew();
        var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var spool = Path.Combine(Path.GetTempPath(), $"router-warm-up-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Log.Information("Warm-up: {Messages} synthetic messages through a throwaway node (spool {Spool}) before the listener opens; router.warm-up.messages = 0 turns this off",
            options.Messages, spool);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        limit.CancelAfter(options.MaxTime);
        var sent = 0;
        try
        {
            await using var sink = await FakeFirewall.StartAsync("warm-up-sink");
            var node = await RouterNode.StartAsync(RouterConfig.ToOptions(RouterConfig.Parse(Config(spool, sink.Port))), cancellationToken: limit.Token);
            var nodeStarted = started.Elapsed;
            TimeSpan accepted, delivered;
            try
            {
                sent = await SendAsync(node.SmtpEndpoints[0], options, limit.Token);
                accepted = started.Elapsed;
                await sink.WaitForCountAsync(sent, options.MaxTime - started.Elapsed > TimeSpan.FromSeconds(1) ? options.MaxTime - started.Elapsed : TimeSpan.FromSeconds(1));
                delivered = started.Elapsed;
            }
            finally
            {
                await node.DisposeAsync();
            }
            Log.Information("Warm-up: {Messages} synthetic messages through the mail path in {Seconds:F1}s (node up {Up:F1}s, accepted {Accepted:F1}s, delivered {Delivered:F1}s, stopped {Stopped:F1}s; {Methods} methods compiled); opening the node",
                sent, started.Elapsed.TotalSeconds, nodeStarted.TotalSeconds, accepted.TotalSeconds, delivered.TotalSeconds, started.Elapsed.TotalSeconds,
                System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore);
        }
        catch (Exception ex) when (stop.IsCancellationRequested)
        {
            Log.Information("Warm-up stopped by the stop request ({Type})", ex.GetType().Name);
        }
        catch (Exception ex)
        {
            // A warm-up is an optimisation: whatever went wrong, the node starts, only slower for its first messages.
            Log.Warning("Warm-up gave up after {Seconds:F1}s and {Messages} messages ({Reason}); the node starts anyway",
                started.Elapsed.TotalSeconds, sent, ex is OperationCanceledException or TimeoutException ? $"router.warm-up.max-time {options.MaxTime.TotalSeconds:F0}s reached" : ex.Message);
        }
        finally
        {
            TryDelete(spool);
            // What the throwaway node allocated is garbage now; collect it before the real node's heap grows.
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect();
        }
    }

    /// <summary>The throwaway node: one firewall (the sink), one connector for everything, nothing listening but SMTP on loopback.</summary>
    private static string Config(string spool, int sinkPort) => $$"""
        router {
          node-name = "warm-up"
          spool.path = "{{spool.Replace("\\", "\\\\")}}"
          smtp {
            listen = ["127.0.0.1:0"]
            hostname = "warm-up.invalid"
            relay.allowed-networks = ["127.0.0.0/8"]
            max-connections-per-ip = 200
          }
          admin.enabled = off
          warm-up.messages = 0
          firewalls { sink { host = "127.0.0.1", port = {{sinkPort}}, max-connections = 16, slow-start = 0s } }
          connectors { out { address-spaces = ["*;1"], firewalls = [sink] } }
        }
        """;

    /// <summary>
    /// The messages over <see cref="WarmUpOptions.Sessions"/> concurrent sessions; every third session opens a new
    /// connection per message (the session set-up path), the others reuse theirs. Sizes as a relay sees
    /// them: mostly 1 KB, every tenth 10 KB, every hundredth 100 KB. Returns how many got a 250.
    /// </summary>
    private static async Task<int> SendAsync(IPEndPoint endpoint, WarmUpOptions options, CancellationToken cancellationToken)
    {
        var next = -1;
        var accepted = 0;
        var sessions = Enumerable.Range(0, options.Sessions).Select(session => Task.Run(async () =>
        {
            var reconnect = session % 3 == 2;
            Client? client = null;
            try
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < options.Messages)
                {
                    client ??= await Client.OpenAsync(endpoint, cancellationToken);
                    if (await client.SendAsync(Message(index), cancellationToken))
                        Interlocked.Increment(ref accepted);
                    if (reconnect)
                    {
                        await client.QuitAsync(cancellationToken);
                        client = null;
                    }
                }
                if (client is not null)
                    await client.QuitAsync(cancellationToken);
            }
            finally
            {
                client?.Dispose();
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(sessions);
        return accepted;
    }

    private static byte[] Message(int index)
    {
        var size = index % 100 == 99 ? 100 * 1024 : index % 10 == 9 ? 10 * 1024 : 1024;
        var text = new StringBuilder(size + 512)
            .Append("From: <").Append(Sender).Append(">\r\n")
            .Append("To: <").Append(Recipient).Append(">\r\n")
            .Append("Subject: warm-up ").Append(index).Append("\r\n")
            .Append("Message-ID: <warm-up.").Append(index).Append("@warm-up.invalid>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
            .Append("..a line that starts with a dot\r\n");
        while (text.Length < size)
            text.Append("warm-up line ").Append(text.Length).Append(" lorem ipsum dolor sit amet, consectetur adipiscing\r\n");
        return Encoding.ASCII.GetBytes(text.Append(".\r\n").ToString());
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (Exception ex)
        {
            Log.Warning("Warm-up: could not delete its temporary spool {Path}: {Reason}", path, ex.Message);
        }
    }

    /// <summary>A minimal SMTP client: EHLO once, then MAIL, RCPT and DATA, the body already dot-stuffed.</summary>
    private sealed class Client : IDisposable
    {
        private static readonly byte[] MailFrom = Encoding.ASCII.GetBytes($"MAIL FROM:<{Sender}>\r\n");
        private static readonly byte[] RcptTo = Encoding.ASCII.GetBytes($"RCPT TO:<{Recipient}>\r\n");
        private static readonly byte[] Data = "DATA\r\n"u8.ToArray();
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private Client(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public static async Task<Client> OpenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
        {
            var tcp = new TcpClient { NoDelay = true };
            try
            {
                await tcp.ConnectAsync(endpoint, cancellationToken);
                var client = new Client(tcp);
                await client.ExpectAsync('2', cancellationToken);
                await client._stream.WriteAsync("EHLO warm-up.invalid\r\n"u8.ToArray(), cancellationToken);
                await client.ExpectAsync('2', cancellationToken);
                return client;
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }

        /// <summary>One transaction, a command at a time as most clients send them; true when the message got a 2xx.</summary>
        public async Task<bool> SendAsync(byte[] message, CancellationToken cancellationToken)
        {
            await CommandAsync(MailFrom, '2', cancellationToken);
            await CommandAsync(RcptTo, '2', cancellationToken);
            await CommandAsync(Data, '3', cancellationToken);
            await _stream.WriteAsync(message, cancellationToken);
            return (await ReplyAsync(cancellationToken))[0] == '2';
        }

        private async Task CommandAsync(byte[] command, char expected, CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(command, cancellationToken);
            var reply = await ReplyAsync(cancellationToken);
            if (reply[0] != expected)
                throw new IOException($"the throwaway node refused a warm-up message: {reply}");
        }

        public async Task QuitAsync(CancellationToken cancellationToken)
        {
            await _stream.WriteAsync("QUIT\r\n"u8.ToArray(), cancellationToken);
            await ReplyAsync(cancellationToken);
        }

        private async Task ExpectAsync(char first, CancellationToken cancellationToken)
        {
            var reply = await ReplyAsync(cancellationToken);
            if (reply[0] != first)
                throw new IOException($"the throwaway node answered \"{reply}\"");
        }

        /// <summary>The last line of a (possibly multi-line) reply.</summary>
        private async Task<string> ReplyAsync(CancellationToken cancellationToken)
        {
            string line;
            do
            {
                line = await _reader.ReadLineAsync(cancellationToken) ?? throw new IOException("the throwaway node closed the connection");
            }
            while (line.Length > 3 && line[3] == '-');
            return line.Length >= 3 ? line : throw new IOException($"malformed reply \"{line}\"");
        }

        public void Dispose() => _tcp.Dispose();
    }
}
