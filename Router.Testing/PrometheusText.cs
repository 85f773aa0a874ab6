using System.Globalization;
using System.Text;

namespace Router.Testing;

/// <summary>
/// A small parser of the Prometheus text exposition format, enough to read back what the router
/// exports: one sample per line, <c>name{label="value",...} number</c>; comments skipped.
/// </summary>
public sealed class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private PrometheusText(List<(string, Dictionary<string, string>, double)> samples) => _samples = samples;

    public IReadOnlyList<(string Name, Dictionary<string, string> Labels, double Value)> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
                continue;
            var i = 0;
            while (i < line.Length && line[i] is not ('{' or ' '))
                i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    i = eq + 2; // past ="
                    var value = new StringBuilder();
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] == 'n' ? '\n' : line[i]);
                        }
                        else
                            value.Append(line[i]);
                        i++;
                    }
                    labels[key] = value.ToString();
                    i++; // past the closing quote
                    if (line[i] == ',')
                        i++;
                }
                i++; // past }
            }
            var rest = line[i..].Trim().Split(' ')[0];
            var number = rest switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(rest, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add((name, labels, number));
        }
        return new PrometheusText(samples);
    }

    /// <summary>The value of the one sample with this name and these labels (others ignored); null when there is none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Matching(name, labels).ToArray();
        return matches.Length switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Length} samples of {name} match; name more labels"),
        };
    }

    /// <summary>The sum over every sample with this name whose labels include these.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Sum(s => s.Value);

    private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
}
