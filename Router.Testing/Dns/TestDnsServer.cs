using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Router.Testing.Dns;

/// <summary>
/// A real DNS server on 127.0.0.1 (UDP, an ephemeral port) for tests: it answers A, AAAA and MX questions from records
/// the test sets and changes while it runs, with the TTLs the test gives, NXDOMAIN for names it does not know, and
/// SERVFAIL for every question while <see cref="Failing"/>. Enough of RFC 1035 for a resolver: one question per
/// query, answers whose name points at the question, no recursion, no TCP (answers are small).
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private const ushort TypeA = 1;
    private const ushort TypeMx = 15;
    private const ushort TypeAaaa = 28;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly object _gate = new();
    private readonly Dictionary<string, (IReadOnlyList<IPAddress> Addresses, TimeSpan Ttl)> _addresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyList<(int Preference, string Host)> Hosts, TimeSpan Ttl)> _mx = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _queries = new(StringComparer.Ordinal);

    private TestDnsServer(Socket socket)
    {
        _socket = socket;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _loop = ServeAsync();
    }

    /// <summary>Where it listens: put it in <c>router.dns.servers</c> as "127.0.0.1:port".</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>While true, every question is answered SERVFAIL (a DNS server that is up but cannot resolve).</summary>
    public bool Failing { get; set; }

    public static TestDnsServer Start()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return new TestDnsServer(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="name"/> resolves to <paramref name="addresses"/> (A for IPv4, AAAA for IPv6) with this TTL; none removes it (NXDOMAIN).</summary>
    public void SetAddresses(string name, TimeSpan ttl, params IPAddress[] addresses)
    {
        lock (_gate)
        {
            if (addresses.Length == 0)
                _addresses.Remove(Key(name));
            else
                _addresses[Key(name)] = (addresses, ttl);
        }
    }

    /// <summary><paramref name="domain"/>'s MX records.</summary>
    public void SetMx(string domain, TimeSpan ttl, params (int Preference, string Host)[] hosts)
    {
        lock (_gate)
            _mx[Key(domain)] = (hosts, ttl);
    }

    /// <summary>How many questions (of any type) about <paramref name="name"/> have arrived.</summary>
    public int QueriesFor(string name) => _queries.TryGetValue(Key(name), out var count) ? count : 0;

    private static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();

    private async Task ServeAsync()
    {
        var buffer = new byte[1500];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                    return;
                continue;
            }
            byte[]? answer;
            try
            {
                answer = Answer(buffer.AsSpan(0, received.ReceivedBytes));
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or FormatException)
            {
                answer = null; // a malformed query gets no answer
            }
            if (answer is null)
                continue;
            try
            {
                await _socket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> query)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
            return null;
        // The question: labels, then type and class.
        var offset = 12;
        var labels = new List<string>();
        while (query[offset] != 0)
        {
            var length = query[offset];
            labels.Add(Encoding.ASCII.GetString(query.Slice(offset + 1, length)));
            offset += length + 1;
        }
        offset++;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query[offset..]);
        var questionEnd = offset + 4;
        var name = Key(string.Join('.', labels));
        _queries.AddOrUpdate(name, 1, (_, n) => n + 1);

        var answers = new List<byte[]>();
        var rcode = 0;
        lock (_gate)
        {
            var known = _addresses.TryGetValue(name, out var addresses) | _mx.TryGetValue(name, out var mx);
            if (Failing)
                rcode = 2;
            else if (!known)
                rcode = 3;
            else if (type is TypeA or TypeAaaa && addresses.Addresses is not null)
            {
                var family = type == TypeA ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                foreach (var address in addresses.Addresses.Where(a => a.AddressFamily == family))
                    answers.Add(Record(type, addresses.Ttl, address.GetAddressBytes()));
            }
            else if (type == TypeMx && mx.Hosts is not null)
            {
                foreach (var (preference, host) in mx.Hosts)
                {
                    var data = new List<byte> { (byte)(preference >> 8), (byte)preference };
                    data.AddRange(Name(host));
                    answers.Add(Record(type, mx.Ttl, data.ToArray()));
                }
            }
        }

        var response = new List<byte>(512);
        response.AddRange(query[..2].ToArray()); // id
        var rd = (byte)(query[2] & 0x01);
        response.Add((byte)(0x80 | 0x04 | rd)); // QR, AA, RD as asked
        response.Add((byte)(0x80 | rcode)); // RA, rcode
        response.AddRange([0, 1, (byte)(answers.Count >> 8), (byte)answers.Count, 0, 0, 0, 0]);
        response.AddRange(query[12..questionEnd].ToArray());
        foreach (var record in answers)
            response.AddRange(record);
        return response.ToArray();
    }

    /// <summary>An answer whose name is a pointer to the question (offset 12).</summary>
    private static byte[] Record(ushort type, TimeSpan ttl, byte[] data)
    {
        var record = new byte[12 + data.Length];
        record[0] = 0xC0;
        record[1] = 12;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(2), type);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(4), 1); // IN
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(6), (uint)ttl.TotalSeconds);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(10), (ushort)data.Length);
        data.CopyTo(record.AsSpan(12));
        return record;
    }

    private static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in Key(name).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return bytes.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
