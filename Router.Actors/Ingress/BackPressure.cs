using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;

namespace Router.Actors.Ingress;

/// <summary>
/// Whether the node takes new mail. Engages when the spool holds too many messages or bytes or its
/// disk runs short, and lets go only when every measure is back under <c>resume-at</c> of its limit
/// (hysteresis, so it does not flap). Thread-safe; sessions ask it at every MAIL FROM.
/// </summary>
public sealed class BackPressure(SpoolSettings limits, Func<(long Messages, long Bytes)> queued, Func<long> freeDisk, ILogger logger)
{
    // Free disk is a system call; asked once per interval, not once per MAIL FROM.
    private static readonly TimeSpan DiskCheckInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private long _freeDisk = long.MaxValue;
    private DateTime _diskCheckedAt = DateTime.MinValue;

    /// <summary>Why new mail is refused now, or null when it is accepted.</summary>
    public string? Reason { get; private set; }

    /// <summary>Re-evaluates and returns the reason new mail is refused, or null.</summary>
    public string? Check()
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if (now - _diskCheckedAt >= DiskCheckInterval)
            {
                _freeDisk = freeDisk();
                _diskCheckedAt = now;
            }
            var (messages, bytes) = queued();
            var next = Evaluate(limits, messages, bytes, _freeDisk, engaged: Reason is not null);
            if (next != Reason)
            {
                if (next is not null)
                    logger.LogWarning("Back pressure on: new mail gets 452 4.3.1 ({Reason})", next);
                else
                    logger.LogInformation("Back pressure off: accepting new mail again ({Messages} messages, {Bytes} bytes queued, {Free} bytes free)",
                        messages, bytes, _freeDisk);
                Reason = next;
            }
            return Reason;
        }
    }

    /// <summary>The pure decision: the reason to refuse, or null.</summary>
    public static string? Evaluate(SpoolSettings limits, long messages, long bytes, long freeDisk, bool engaged)
    {
        // Engaged, each measure must come back past its resume point; otherwise past its limit.
        var ratio = engaged ? limits.ResumeAt : 1.0;
        if (messages >= limits.MaxMessages * ratio)
            return $"{messages} messages queued, limit {limits.MaxMessages}";
        if (bytes >= limits.MaxBytes * ratio)
            return $"{bytes} bytes queued, limit {limits.MaxBytes}";
        if (freeDisk < limits.MinFreeDisk / ratio)
            return $"{freeDisk} bytes free on the spool's disk, minimum {limits.MinFreeDisk}";
        return null;
    }
}
