using System.Net;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Node.Hosting;
using Router.Testing.Firewalls;

namespace Router.Tests.Integration;

/// <summary>A router node in this process on an ephemeral port with its own temporary spool.</summary>
internal sealed class TestRouter : IAsyncDisposable
{
    private readonly bool _ownsSpool;

    private TestRouter(RouterNode node, string spoolPath, bool ownsSpool, string configPath, string configText)
    {
        Node = node;
        SpoolPath = spoolPath;
        _ownsSpool = ownsSpool;
        ConfigPath = configPath;
        ConfigText = configText;
    }

    /// <summary>The node's configuration file (<c>--config</c>): what a reload reads again.</summary>
    public string ConfigPath { get; }

    /// <summary>The text the node started from (rewrite <see cref="ConfigPath"/> with a variant of it, then reload).</summary>
    public string ConfigText { get; }

    public RouterNode Node { get; }
    public string SpoolPath { get; }
    public IPEndPoint Smtp => Node.SmtpEndpoints[0];

    public static string NewSpoolPath() => Path.Combine(Path.GetTempPath(), "router-tests", Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Starts a node whose config is <paramref name="body"/> (firewalls, connectors, overrides)
    /// inside `router { ... }`, with a temp spool and fast health timings suitable for tests.
    /// <paramref name="akka"/> goes at the top level, for Akka's own keys (akka.cluster.*).
    /// </summary>
    public static async Task<TestRouter> StartAsync(string body, string? spoolPath = null, string akka = "")
    {
        var ownsSpool = spoolPath is null;
        spoolPath ??= NewSpoolPath();
        var hocon = $$"""
            router {
              node-name = "test"
              spool.path = "{{spoolPath}}"
              smtp {
                listen = ["127.0.0.1:0"]
                hostname = "router.test"
                relay.allowed-networks = ["127.0.0.0/8", "::1/128"]
              }
              retry.schedule = [2s]
              admin.listen = "127.0.0.1:0"
              firewall-defaults {
                connect-timeout = 1s
                greeting-timeout = 1s
                command-timeout = 5s
                data-timeout = 10s
                open-for = 1s
                max-open-for = 8s
                probe-interval = 250ms
                slow-start = 1s
              }
              {{body}}
            }
            {{akka}}
            """;
        // Written next to the spool folder, so that a reload has a file to read again.
        var configPath = spoolPath.TrimEnd(Path.DirectorySeparatorChar) + ".conf";
        Directory.CreateDirectory(Path.GetDirectoryName(configPath)!);
        await File.WriteAllTextAsync(configPath, hocon);
        var options = RouterConfig.ToOptions(RouterConfig.Load(configPath)) with { SourcePath = configPath };
        // ROUTER_TEST_LOG=1 shows the node's log on the console when a test needs explaining.
        var node = await RouterNode.StartAsync(options, Environment.GetEnvironmentVariable("ROUTER_TEST_LOG") == "1"
            ? logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug)
            : null);
        return new TestRouter(node, spoolPath, ownsSpool, configPath, hocon);
    }

    /// <summary>Config text for equal-cost connectors, one per fake firewall.</summary>
    public static string EqualCost(params FakeFirewall[] firewalls) =>
        "firewalls {\n" + string.Join("\n", firewalls.Select(f => $"  {f.Name} {{ host = \"127.0.0.1\", port = {f.Port} }}")) + "\n}\n" +
        "connectors {\n" + string.Join("\n", firewalls.Select(f => $"  out-{f.Name} {{ address-spaces = [\"*;1\"], firewalls = [{f.Name}] }}")) + "\n}\n";

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        if (_ownsSpool)
        {
            try
            {
                File.Delete(ConfigPath);
                Directory.Delete(SpoolPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
