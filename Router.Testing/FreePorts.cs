using System.Net;
using System.Net.Sockets;

namespace Router.Testing;

/// <summary>
/// Ports for a process that is told its port before it binds it (a management endpoint). They are taken below the
/// system's ephemeral range, which the kernel never hands to a socket bound to port 0: a port picked inside it could
/// be given to any such socket before the process binds it (it was: a node's own shadow listener took its
/// management port). Each is checked free by binding it; when the range leaves no room below it, any free port.
/// </summary>
public static class FreePorts
{
    private const int Lowest = 10_000;

    public static int[] Pick(int count)
    {
        var ephemeralStart = EphemeralRangeStart();
        var ports = new List<int>(count);
        if (ephemeralStart - Lowest >= 1_000)
        {
            for (var attempt = 0; attempt < 10_000 && ports.Count < count; attempt++)
            {
                var port = Random.Shared.Next(Lowest, ephemeralStart);
                if (!ports.Contains(port) && IsFree(port))
                    ports.Add(port);
            }
        }

        while (ports.Count < count)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            ports.Add(((IPEndPoint)listener.LocalEndpoint).Port);
            listener.Stop();
        }

        return ports.ToArray();
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49_152; // the IANA dynamic range, where Windows and macOS start theirs
        }
    }
}
