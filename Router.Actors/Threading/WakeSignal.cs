namespace Router.Actors.Threading;

/// <summary>
/// A manual-reset signal that a dedicated thread sleeps on, built on a monitor so that waiting never spins first.
/// <see cref="ManualResetEventSlim"/> spins once before it sleeps even when built with a spin count of 0 whenever the
/// process sees a single processor (as it does under a CPU quota below one core, the usual container limit), and on a
/// single processor that spin is a <c>sched_yield</c>: a context switch whenever another thread is runnable, on every
/// wait. Measured under a 0.2 CPU quota, those yields were 2-3% of a node's CPU.
/// </summary>
internal sealed class WakeSignal
{
    private readonly object _gate = new();
    private volatile bool _set;

    /// <summary>Whether the signal is set.</summary>
    public bool IsSet => _set;

    /// <summary>Sets the signal and wakes the threads waiting on it; cheap when it is set already.</summary>
    public void Set()
    {
        if (_set)
            return;
        lock (_gate)
        {
            _set = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Clears the signal.</summary>
    public void Reset() => _set = false;

    /// <summary>Blocks until the signal is set.</summary>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan);

    /// <summary>Blocks until the signal is set (true) or <paramref name="timeout"/> passes (false).</summary>
    public bool Wait(TimeSpan timeout)
    {
        if (_set)
            return true;
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        var deadline = infinite ? 0 : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        lock (_gate)
        {
            while (!_set)
            {
                if (infinite)
                {
                    Monitor.Wait(_gate);
                    continue;
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_gate, (int)Math.Min(left, int.MaxValue)))
                    return _set;
            }
        }

        return true;
    }
}
