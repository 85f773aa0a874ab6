using System.Net;

namespace Router.Actors.Ingress;

/// <summary>Open sessions per client address, for <c>max-connections-per-ip</c>. Thread-safe.</summary>
public sealed class AddressConnections(int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _gate = new();

    /// <summary>Takes a slot for <paramref name="address"/>; false when it already holds the maximum.</summary>
    public bool TryOpen(IPAddress address)
    {
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(address);
            if (open >= maxPerAddress)
                return false;
            _open[address] = open + 1;
            return true;
        }
    }

    public void Close(IPAddress address)
    {
        lock (_gate)
        {
            if (!_open.TryGetValue(address, out var open))
                return;
            if (open <= 1)
                _open.Remove(address);
            else
                _open[address] = open - 1;
        }
    }

    public int OpenFrom(IPAddress address)
    {
        lock (_gate)
            return _open.GetValueOrDefault(address);
    }
}
