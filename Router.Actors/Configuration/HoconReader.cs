using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Router.Actors.Configuration;

/// <summary>
/// Typed reads of HOCON values that fail with a <see cref="RouterConfigException"/> naming the key,
/// instead of the FormatException or null that Akka's accessors give for a value of the wrong type.
/// Durations and sizes are parsed here (HOCON duration and size formats) so that <c>10 seconds</c>
/// and <c>64 MiB</c> work whatever the Akka version.
/// </summary>
internal sealed class HoconReader(Config config)
{
    private static readonly Lazy<HoconReader> ReferenceReader = new(() => new HoconReader(RouterConfig.Reference));

    /// <summary>
    /// The value at a dotted path, or the embedded reference configuration's when the file sets it to <c>null</c>:
    /// the reference is the one place that holds the defaults.
    /// </summary>
    public HoconValue? AtOrDefault(string path) => At(path) ?? ReferenceReader.Value.At(path);

    /// <summary>As <see cref="AtOrDefault"/>, for a key that the reference configuration sets.</summary>
    public HoconValue Required(string path) =>
        AtOrDefault(path) ?? throw new RouterConfigException(path, "is required");

    /// <summary>The reference configuration's value at a dotted path.</summary>
    public static HoconValue? Default(string path) => ReferenceReader.Value.At(path);

    /// <summary>The value at a dotted path (fallbacks included), or null when absent or <c>null</c>.</summary>
    public HoconValue? At(string path)
    {
        try
        {
            if (!config.HasPath(path))
            {
                return null;
            }

            var value = config.GetValue(path);
            return value is null || value.IsEmpty || IsNull(value) ? null : value;
        }
        catch (Exception e) when (e is not RouterConfigException)
        {
            // A parent that is a string or list instead of an object makes Akka throw here.
            throw new RouterConfigException(path, $"cannot be read: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>The value under a key of an object, or null when absent or <c>null</c>.</summary>
    public static HoconValue? Child(HoconObject parent, string name) =>
        parent.Items.TryGetValue(name, out var value) && !value.IsEmpty && !IsNull(value) ? value : null;

    public static string? String(HoconValue? value, string key)
    {
        if (value is null)
        {
            return null;
        }

        RequireScalar(value, key, "a string");
        return value.GetString();
    }

    public static string RequiredString(HoconValue? value, string key)
    {
        var text = String(value, key);
        return string.IsNullOrWhiteSpace(text)
            ? throw new RouterConfigException(key, "is required and must not be empty")
            : text.Trim();
    }

    public static int Int(HoconValue? value, string key, int fallback)
    {
        var number = Long(value, key, fallback);
        return number is < int.MinValue or > int.MaxValue
            ? throw new RouterConfigException(key, $"{number} is too large")
            : (int)number;
    }

    public static long Long(HoconValue? value, string key, long fallback)
    {
        var text = String(value, key);
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new RouterConfigException(key, $"expected a whole number, got \"{text}\"");
    }

    public static TimeSpan Duration(HoconValue? value, string key, TimeSpan fallback)
    {
        var text = String(value, key);
        if (text is null)
        {
            return fallback;
        }

        return TryParseDuration(text, out var duration)
            ? duration
            : throw new RouterConfigException(key, $"expected a duration such as 500ms, 5s, \"10 seconds\", 2m or 1h, got \"{text}\"");
    }

    public static long ByteSize(HoconValue? value, string key, long fallback)
    {
        var text = String(value, key);
        if (text is null)
        {
            return fallback;
        }

        return TryParseByteSize(text, out var size)
            ? size
            : throw new RouterConfigException(key, $"expected a size in bytes such as 36700160, 512KiB or \"64 MiB\", got \"{text}\"");
    }

    /// <summary>The strings of a list, each with its own key (<c>key[i]</c>) for error messages; empty when absent.</summary>
    public static IReadOnlyList<(string Text, string Key)> StringList(HoconValue? value, string key)
    {
        if (value is null)
        {
            return [];
        }

        if (value.IsString())
        {
            throw new RouterConfigException(key, $"expected a list such as [\"{value.GetString()}\"], got a single value");
        }

        if (value.IsObject())
        {
            throw new RouterConfigException(key, "expected a list, got an object");
        }

        var items = new List<(string, string)>();
        var elements = value.GetArray();
        for (var i = 0; i < elements.Count; i++)
        {
            var itemKey = $"{key}[{i}]";
            items.Add((String(elements[i], itemKey) ?? string.Empty, itemKey));
        }

        return items;
    }

    /// <summary>The entries of an object in file order; empty when absent.</summary>
    public static IReadOnlyList<KeyValuePair<string, HoconValue>> Entries(HoconValue? value, string key)
    {
        if (value is null)
        {
            return [];
        }

        return value.IsObject()
            ? [.. value.GetObject().Items]
            : throw new RouterConfigException(key, $"expected an object {{ ... }}, got {Describe(value)}");
    }

    public static HoconObject Object(HoconValue value, string key) =>
        value.IsObject()
            ? value.GetObject()
            : throw new RouterConfigException(key, $"expected an object {{ ... }}, got {Describe(value)}");

    /// <summary>A key for an object member; ids with a dot are quoted as HOCON requires.</summary>
    public static string Key(string parent, string name) =>
        name.Contains('.') ? $"{parent}.\"{name}\"" : $"{parent}.{name}";

    /// <summary>HOCON durations: a number and a unit (ns to days); a bare number is milliseconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (!TrySplitNumber(text, out var number, out var unit))
        {
            return false;
        }

        double? unitMilliseconds = unit switch
        {
            "" or "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => 1,
            "us" or "micro" or "micros" or "microsecond" or "microseconds" => 1e-3,
            "ns" or "nano" or "nanos" or "nanosecond" or "nanoseconds" => 1e-6,
            "s" or "second" or "seconds" => 1_000,
            "m" or "minute" or "minutes" => 60_000,
            "h" or "hour" or "hours" => 3_600_000,
            "d" or "day" or "days" => 86_400_000,
            _ => null,
        };
        if (unitMilliseconds is null)
        {
            return false;
        }

        var milliseconds = number * unitMilliseconds.Value;
        if (Math.Abs(milliseconds) >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>HOCON sizes: a number and a unit; K/M/G and KiB/MiB/GiB are powers of two, kB/MB/GB powers of ten.</summary>
    public static bool TryParseByteSize(string text, out long bytes)
    {
        bytes = 0;
        if (!TrySplitNumber(text, out var number, out var unit))
        {
            return false;
        }

        double? multiplier = unit switch
        {
            "" or "b" or "B" or "byte" or "bytes" => 1,
            "k" or "K" or "Ki" or "KiB" or "kibibyte" or "kibibytes" => 1L << 10,
            "m" or "M" or "Mi" or "MiB" or "mebibyte" or "mebibytes" => 1L << 20,
            "g" or "G" or "Gi" or "GiB" or "gibibyte" or "gibibytes" => 1L << 30,
            "kB" or "kilobyte" or "kilobytes" => 1e3,
            "MB" or "megabyte" or "megabytes" => 1e6,
            "GB" or "gigabyte" or "gigabytes" => 1e9,
            _ => null,
        };
        if (multiplier is null)
        {
            return false;
        }

        var value = Math.Floor(number * multiplier.Value);
        if (Math.Abs(value) >= long.MaxValue)
        {
            return false;
        }

        bytes = (long)value;
        return true;
    }

    private static bool TrySplitNumber(string text, out double number, out string unit)
    {
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] is '.' or '-' or '+'))
        {
            end++;
        }

        unit = s[end..].Trim();
        return double.TryParse(
            s.AsSpan(0, end),
            NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture,
            out number);
    }

    private static void RequireScalar(HoconValue value, string key, string expected)
    {
        if (!value.IsString())
        {
            throw new RouterConfigException(key, $"expected {expected}, got {Describe(value)}");
        }
    }

    private static string Describe(HoconValue value) =>
        value.IsString() ? $"\"{value.GetString()}\"" : value.IsObject() ? "an object" : "a list";

    // HOCON's null literal: Akka gives it back as a string value whose GetString() is null.
    private static bool IsNull(HoconValue value) => value.IsString() && value.GetString() is null;

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
