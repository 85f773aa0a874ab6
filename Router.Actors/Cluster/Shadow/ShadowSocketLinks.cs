using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Router.Actors.Cluster.Peers;
using Router.Messages.Cluster;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The owner's socket links, one per peer (<see cref="ShadowSocketLink"/>). The first copy for a peer asks the peer's
/// intake over remoting where it takes copies (<see cref="ShadowEndpointQuery"/>) and connects in the background; until
/// a link is open (and while a peer takes copies over remoting only, or after a link failed, for
/// <see cref="RetryAfter"/>) <see cref="TrySend"/> says no and the replicator sends the copy through
/// <see cref="ShadowLinkActor"/> as before. Safe to call from many threads.
/// </summary>
public sealed class ShadowSocketLinks : IDisposable
{
    /// <summary>How long after a failed connection (or a link that closed) copies go by remoting before the next try.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    private readonly ActorSystem _system;
    private readonly string _owner;
    private readonly TimeSpan _timeout;
    private readonly ShadowMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Address, Peer> _peers = new();
    private volatile bool _disposed;

    public ShadowSocketLinks(ActorSystem system, TimeSpan timeout, ShadowMetrics? metrics, ILogger logger)
    {
        _system = system;
        _owner = PeerOutbox.OwnerOf(system);
        _timeout = timeout;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Hands the copy to the peer's open link (see <see cref="ShadowSocketLink.TrySend"/> for how <paramref name="done"/>
    /// completes); false when there is none, and then a connection is started unless one is being made or failed lately.
    /// </summary>
    public bool TrySend(Address peer, ShadowCopy copy, TaskCompletionSource<string?> done)
    {
        var state = _peers.GetOrAdd(peer, static _ => new Peer());
        if (state.Link is { } link && link.TrySend(copy, done))
            return true;
        if (!_disposed && Stopwatch.GetTimestamp() >= Volatile.Read(ref state.RetryAt) && Interlocked.CompareExchange(ref state.Connecting, 1, 0) == 0)
            _ = ConnectAsync(peer, state);
        return false;
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var state in _peers.Values)
            state.Link?.Close("the node is stopping");
    }

    private async Task ConnectAsync(Address peer, Peer state)
    {
        try
        {
            var endpoint = await _system.ActorSelection(ShadowLinkActor.IntakePath(peer))
                .Ask<ShadowEndpoint>(ShadowEndpointQuery.Instance, _timeout).ConfigureAwait(false);
            if (endpoint.Port == 0)
            {
                // Its configuration is fixed while it runs; a restart (a new incarnation) closes nothing here, so ask again now and then.
                Volatile.Write(ref state.RetryAt, Stopwatch.GetTimestamp() + (long)(TimeSpan.FromMinutes(1).TotalSeconds * Stopwatch.Frequency));
                _logger.LogInformation("{Peer} takes shadow copies over remoting only (its router.shadow-port is off)", peer);
                return;
            }

            var link = await ShadowSocketLink.ConnectAsync(peer, endpoint, _owner, _timeout, _metrics, reason => Closed(peer, state, reason))
                .ConfigureAwait(false);
            if (_disposed)
            {
                link.Close("the node is stopping");
                return;
            }

            state.Link = link;
            state.Warned = false;
            _logger.LogInformation("Sending shadow copies to {Peer} over TCP port {Port}", peer, endpoint.Port);
        }
        catch (Exception e) when (e is IOException or AskTimeoutException or ActorNotFoundException or TaskCanceledException)
        {
            Volatile.Write(ref state.RetryAt, Stopwatch.GetTimestamp() + (long)(RetryAfter.TotalSeconds * Stopwatch.Frequency));
            // Once until it works again: a peer of an older version never answers, and that is asked again every few seconds.
            _logger.Log(state.Warned ? LogLevel.Debug : LogLevel.Warning, "Shadow copies to {Peer} go through remoting for now: {Error}", peer, e.Message);
            state.Warned = true;
        }
        finally
        {
            Volatile.Write(ref state.Connecting, 0);
        }
    }

    private void Closed(Address peer, Peer state, string reason)
    {
        Volatile.Write(ref state.RetryAt, Stopwatch.GetTimestamp() + (long)(RetryAfter.TotalSeconds * Stopwatch.Frequency));
        if (!_disposed)
            _logger.LogWarning("The shadow connection to {Peer} closed ({Reason}); copies go through remoting until it is open again", peer, reason);
    }

    private sealed class Peer
    {
        public volatile ShadowSocketLink? Link;
        public long RetryAt;
        public int Connecting;
        public volatile bool Warned;
    }
}
