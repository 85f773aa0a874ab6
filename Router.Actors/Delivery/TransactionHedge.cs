using System.Diagnostics;
using Router.Actors.Health.Latency;

namespace Router.Actors.Delivery;

/// <summary>
/// The latency detector over one transaction on an open session (issue 18): it times the replies to
/// <c>MAIL FROM</c>, each <c>RCPT TO</c> and the final dot, and, while no data has been sent, gives the
/// transaction up (cancels <see cref="Token"/>) when the wait for the next reply runs past the firewall's
/// learnt threshold for it. From the last RCPT reply on it is disarmed for good: the reply to the final dot
/// keeps <c>data-timeout</c>, since giving up there could deliver the message twice.
/// </summary>
/// <remarks>
/// MailKit calls <see cref="OnReply"/> once per MAIL and RCPT reply, in order, before it sends DATA; the timer
/// and the replies meet under one lock, so a threshold that runs out after the last reply does nothing.
/// </remarks>
internal sealed class TransactionHedge : IDisposable
{
    private readonly object _gate = new();
    private readonly LatencyBook _latencies;
    private readonly bool _judged;
    private readonly TimeSpan _commandTimeout;
    private readonly int _replies;
    private readonly CancellationTokenSource _cancel;
    private readonly Timer _timer;
    private long _mark;
    private int _seen;
    private bool _disarmed;
    private long _disarmedAt;

    /// <param name="judged">False: only record (the fixed timeouts alone bound the waits).</param>
    /// <param name="recipients">RCPT commands of the transaction: with MAIL, the replies before DATA.</param>
    public TransactionHedge(LatencyBook latencies, bool judged, TimeSpan commandTimeout, int recipients, CancellationToken outer)
    {
        _latencies = latencies;
        _judged = judged;
        _commandTimeout = commandTimeout;
        _replies = 1 + recipients;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _timer = new Timer(_ => OnThreshold());
    }

    /// <summary>Pass to the send: cancelled by the caller's token, or when the detector gives the wait up.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>
    /// Set when the detector gave the transaction up: the step, the wait it allowed, and whether that wait was judged
    /// against the node's other firewalls (this one had too little history of the step).
    /// </summary>
    public (DeliveryPhase Phase, TimeSpan Limit, bool Cold)? GivenUp { get; private set; }

    private DeliveryPhase Waiting => _seen == 0 ? DeliveryPhase.Mail : DeliveryPhase.Rcpt;

    /// <summary>The MAIL command is about to go out.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _mark = Stopwatch.GetTimestamp();
            ArmLocked();
        }
    }

    /// <summary>MailKit processed the reply to MAIL or to one RCPT.</summary>
    public void OnReply()
    {
        lock (_gate)
        {
            if (_disarmed)
                return;
            var now = Stopwatch.GetTimestamp();
            _latencies.Record(Waiting, Stopwatch.GetElapsedTime(_mark, now));
            _mark = now;
            _seen++;
            if (_seen >= _replies)
            {
                // DATA follows: nothing is given up from here on.
                _disarmed = true;
                _disarmedAt = now;
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
                return;
            }
            ArmLocked();
        }
    }

    /// <summary>The final dot was answered: its latency (from the last RCPT reply, the data's transfer included) is recorded.</summary>
    public void OnDataAnswered()
    {
        lock (_gate)
        {
            if (_disarmed && _disarmedAt != 0)
                _latencies.Record(DeliveryPhase.EndOfData, Stopwatch.GetElapsedTime(_disarmedAt));
        }
    }

    /// <summary>
    /// How often a wait with nothing to judge it by asks again: neither this firewall nor the node's other firewalls had
    /// the history when it began (a fresh node sends its first transactions everywhere at once).
    /// </summary>
    private static readonly TimeSpan ColdInterval = TimeSpan.FromMilliseconds(200);

    private void ArmLocked()
    {
        if (!_judged)
            return;
        var limit = _latencies.Deadline(Waiting, _commandTimeout);
        // Without enough history the fixed command-timeout (MailKit's own) is the only bound; a cold step asks again
        // as the node's other firewalls build the history it can be judged by.
        if (limit >= _commandTimeout)
        {
            _timer.Change(_latencies.Cold(Waiting) ? ColdInterval : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var remaining = limit - Stopwatch.GetElapsedTime(_mark);
        _timer.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnThreshold()
    {
        lock (_gate)
        {
            if (_disarmed || GivenUp is not null)
                return;
            var limit = _latencies.Deadline(Waiting, _commandTimeout);
            if (limit >= _commandTimeout || Stopwatch.GetElapsedTime(_mark) < limit)
            {
                // A cold step still without a judgement, or a threshold that moved on: wait on.
                ArmLocked();
                return;
            }
            GivenUp = (Waiting, limit, _latencies.Cold(Waiting));
            _disarmed = true;
        }
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        lock (_gate)
            _disarmed = true;
        _timer.Dispose();
        _cancel.Dispose();
    }
}
