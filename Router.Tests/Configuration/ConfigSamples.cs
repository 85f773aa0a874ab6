namespace Router.Tests.Configuration;

/// <summary>HOCON texts shared by the configuration tests.</summary>
internal static class ConfigSamples
{
    /// <summary>The configuration contract from issue 2, verbatim.</summary>
    public const string Contract = """
        router {
          node-name = "router-1"
          spool.path = "data/spool"
          smtp {
            listen = ["127.0.0.1:2525"]
            hostname = "router.localdomain"
            max-message-size = 36700160          # bytes
            max-recipients = 500
            relay.allowed-networks = ["127.0.0.0/8", "::1/128"]
          }
          firewalls {
            fw-a { host = "127.0.0.1", port = 2601 }
            fw-b { host = "127.0.0.1", port = 2602 }
          }
          connectors {
            outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
            outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
            partner    { address-spaces = ["partner.example;1", "*.partner.example;5"], firewalls = [fw-a, fw-b] }
          }
        }
        """;

    /// <summary>The smallest valid configuration: one firewall, one connector, everything else default.</summary>
    public const string Minimal = """
        router {
          firewalls { fw-a { host = "127.0.0.1" } }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """;

    /// <summary><see cref="Minimal"/> with <paramref name="extra"/> HOCON appended, which overrides it.</summary>
    public static string MinimalWith(string extra) => Minimal + "\n" + extra;
}
