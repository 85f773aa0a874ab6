using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Serialization;
using Akka.Actor;
using Router.Messages.Cluster;
using Router.Messages.Serialization;

namespace Router.Actors.Cluster.Shadow;

/// <summary>
/// The owner's connection to one peer's <see cref="ShadowSocketServer"/>: the socket path's counterpart of a link of
/// <see cref="ShadowLinkActor"/>, with the same batching (one batch on the way; copies that arrive meanwhile leave
/// together in the next, within <see cref="ShadowLinkActor.MaxBatchBytes"/>) but no actor between the session and the
/// socket: the caller's thread sends a batch when none is on the way, and the thread that reads the peer's answer
/// completes its copies and sends the next. A batch without an answer within the shadow timeout, or any error on the
/// socket, closes the link: the copies on the way fail with the reason (they may have landed; the replicator tries
/// another peer), and the ones not sent yet fail with <see cref="NotSent"/> (the replicator sends them by remoting).
/// Copies are completed outside the link's lock, after the next batch left: a caller may give completions that run
/// their continuations inline (on the reading thread), which saves a thread-pool hop per copy.
/// </summary>
internal sealed class ShadowSocketLink
{
    /// <summary>The error of a copy the link closed before sending it: nothing of it reached the peer.</summary>
    public const string NotSent = "not sent: the shadow connection closed";

    private readonly Lock _gate = new();
    private readonly Socket _socket;
    private readonly Address _peer;
    private readonly string _owner;
    private readonly TimeSpan _timeout;
    private readonly ShadowMetrics? _metrics;
    private readonly Action<string> _closed;
    private readonly Queue<PendingCopy> _waiting = new();
    private readonly Timer _timer;
    private List<PendingCopy>? _inFlight;
    private long _inFlightId;
    private long _sentAt;
    private long _nextBatch;

    private ShadowSocketLink(Socket socket, Address peer, string owner, TimeSpan timeout, ShadowMetrics? metrics, Action<string> closed)
    {
        _socket = socket;
        _peer = peer;
        _owner = owner;
        _timeout = timeout;
        _metrics = metrics;
        _closed = closed;
        _timer = new Timer(_ => CheckTimeout());
    }

    /// <summary>Why the link closed; null while it is open.</summary>
    public string? ClosedBecause { get; private set; }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> on the host of <paramref name="peer"/>'s address and presents its token.
    /// <paramref name="closed"/> is called once, when the link closes.
    /// </summary>
    /// <exception cref="IOException">Refused, or no answer within <paramref name="timeout"/>.</exception>
    public static async Task<ShadowSocketLink> ConnectAsync(Address peer, ShadowEndpoint endpoint, string owner, TimeSpan timeout,
        ShadowMetrics? metrics, Action<string> closed)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = new CancellationTokenSource(timeout))
            {
                await socket.ConnectAsync(peer.Host!, endpoint.Port, connecting.Token).ConfigureAwait(false);
                await socket.SendAsync((byte[])[.. ShadowSocketFrames.Hello, .. Convert.FromHexString(endpoint.Token)], connecting.Token).ConfigureAwait(false);
                var answer = new byte[1];
                if (await socket.ReceiveAsync(answer, connecting.Token).ConfigureAwait(false) != 1 || answer[0] != ShadowSocketFrames.Accepted)
                    throw new IOException($"{peer.Host}:{endpoint.Port} did not accept this node's shadow connection");
            }

            // A batch is small next to the socket's buffer: a send that blocks this long means the peer is stuck.
            socket.SendTimeout = (int)Math.Max(1, timeout.TotalMilliseconds);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or FormatException)
        {
            socket.Dispose();
            throw new IOException($"could not connect to {peer.Host}:{endpoint.Port}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var link = new ShadowSocketLink(socket, peer, owner, timeout, metrics, closed);
        new Thread(link.ReadAnswers) { IsBackground = true, Name = "shadow-link" }.Start();
        return link;
    }

    /// <summary>Queues a copy (sent at once when no batch is on the way); false when the link is closed.</summary>
    public bool TrySend(ShadowCopy item, TaskCompletionSource<string?> done)
    {
        Closing? closing = null;
        lock (_gate)
        {
            if (ClosedBecause is not null)
                return false;
            _waiting.Enqueue(new PendingCopy(item, done));
            if (_inFlight is null)
                closing = SendNext();
        }

        // Sending failed and closed the link: this copy too failed as not sent (and goes by remoting).
        closing?.Complete();
        return true;
    }

    /// <summary>Closes the link (the node is stopping, or the peer is gone).</summary>
    public void Close(string reason)
    {
        Closing? closing;
        lock (_gate)
            closing = CloseLocked(reason);
        closing?.Complete();
    }

    /// <summary>Sends the waiting copies as the next batch; what to complete when sending failed and closed the link.</summary>
    private Closing? SendNext()
    {
        var copies = ShadowBatching.Take(_waiting);
        if (copies.Count == 0)
            return null;
        _inFlight = copies;
        _inFlightId = ++_nextBatch;
        _sentAt = Stopwatch.GetTimestamp();
        _timer.Change(_timeout, Timeout.InfiniteTimeSpan);
        try
        {
            ShadowSocketFrames.Write(_socket, ShadowBatchCodec.Encode(new ShadowBatch(_owner, _inFlightId, copies.Select(c => c.Item).ToArray())));
            _metrics?.BatchSent(ShadowMetrics.SocketTransport, copies.Count);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return CloseLocked($"could not send to {_peer}: {e.Message}");
        }

        return null;
    }

    private void ReadAnswers()
    {
        string reason;
        try
        {
            while (ShadowSocketFrames.Read(_socket) is { } frame)
            {
                var stored = ShadowBatchCodec.DecodeStored(frame);
                List<PendingCopy> copies;
                Closing? closing;
                lock (_gate)
                {
                    if (_inFlight is not { } answered || stored.BatchId != _inFlightId)
                        throw new IOException($"{_peer} answered batch {stored.BatchId}, which is not on its way");
                    copies = answered;
                    _inFlight = null;
                    _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    closing = SendNext();
                }

                // The next batch is on its way; now the answered copies' sessions may go on (here, when they asked to).
                ShadowBatching.Complete(copies, stored);
                closing?.Complete();
            }

            reason = $"{_peer} closed the shadow connection";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or SerializationException)
        {
            reason = $"the shadow connection to {_peer} failed: {e.Message}";
        }

        Close(reason);
    }

    private void CheckTimeout()
    {
        Closing? closing = null;
        lock (_gate)
        {
            if (_inFlight is null || ClosedBecause is not null)
                return;
            var left = _timeout - Stopwatch.GetElapsedTime(_sentAt);
            if (left <= TimeSpan.Zero)
                closing = CloseLocked($"no acknowledgement from {_peer} within {_timeout.TotalSeconds:0.###}s");
            else
                _timer.Change(left, Timeout.InfiniteTimeSpan); // fired a little early: the batch is not late yet
        }

        closing?.Complete();
    }

    /// <summary>Closes the socket; the copies it had are completed by the caller, outside the lock.</summary>
    private Closing? CloseLocked(string reason)
    {
        if (ClosedBecause is not null)
            return null;
        ClosedBecause = reason;
        _timer.Dispose();
        _socket.Dispose();
        var closing = new Closing(reason, _inFlight ?? [], [.. _waiting], _closed);
        _inFlight = null;
        _waiting.Clear();
        return closing;
    }

    /// <summary>What a closed link still owes: the copies on the way fail with the reason, the ones not sent as not sent.</summary>
    private sealed record Closing(string Reason, List<PendingCopy> InFlight, List<PendingCopy> Waiting, Action<string> Closed)
    {
        public void Complete()
        {
            foreach (var copy in InFlight)
                copy.Done.TrySetResult(Reason);
            foreach (var copy in Waiting)
                copy.Done.TrySetResult(NotSent);
            Closed(Reason);
        }
    }
}
