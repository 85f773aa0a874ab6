using System.Security.Cryptography;

namespace Router.Actors.Spool;

/// <summary>
/// Makes queue ids: 16 characters of Crockford base32 over 80 bits, <c>[ms since 1970: 44][counter: 12][random: 24]</c>,
/// in the spirit of Postfix's long queue ids. Ids of one node sort in acceptance order (the alphabet is in ASCII
/// order), the random bits keep ids of different nodes apart (shadow copies share one id space), and the characters
/// are safe in file names and SMTP replies.
/// </summary>
internal sealed class QueueIdGenerator
{
    public const int Length = 16;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int CounterBits = 12;
    private const int RandomBits = 24;
    private const long MaxCounter = (1 << CounterBits) - 1;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private long _lastMilliseconds;
    private long _counter;

    public QueueIdGenerator(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public string Next()
    {
        long milliseconds;
        long counter;
        lock (_gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _lastMilliseconds)
            {
                _lastMilliseconds = now;
                _counter = 0;
            }
            else if (++_counter > MaxCounter)
            {
                // More than 4096 ids in one millisecond, or the clock went back: borrow the next millisecond
                // so that ids stay unique and ordered.
                _lastMilliseconds++;
                _counter = 0;
            }

            milliseconds = _lastMilliseconds;
            counter = _counter;
        }

        var random = (ulong)RandomNumberGenerator.GetInt32(1 << RandomBits);
        var value = ((UInt128)(ulong)milliseconds << (CounterBits + RandomBits)) | ((UInt128)(ulong)counter << RandomBits) | random;
        return Encode(value);
    }

    /// <summary>Makes later ids sort after <paramref name="queueId"/>, e.g. one recovered from disk after the clock went back.</summary>
    public void Observe(string queueId)
    {
        if (!TryDecode(queueId, out var value))
        {
            return;
        }

        var milliseconds = (long)(ulong)(value >> (CounterBits + RandomBits));
        var counter = (long)(ulong)((value >> RandomBits) & MaxCounter);
        lock (_gate)
        {
            if (milliseconds > _lastMilliseconds || (milliseconds == _lastMilliseconds && counter > _counter))
            {
                _lastMilliseconds = milliseconds;
                _counter = counter;
            }
        }
    }

    public static bool IsWellFormed(string queueId) => TryDecode(queueId, out _);

    private static string Encode(UInt128 value) => string.Create(Length, value, static (chars, v) =>
    {
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(ulong)(v & 31)];
            v >>= 5;
        }
    });

    private static bool TryDecode(string queueId, out UInt128 value)
    {
        value = 0;
        if (queueId.Length != Length)
        {
            return false;
        }

        foreach (var c in queueId)
        {
            var digit = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 5) | (uint)digit;
        }

        return true;
    }
}
