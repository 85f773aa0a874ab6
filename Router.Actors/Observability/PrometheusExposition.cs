using System.Globalization;
using System.Text;

namespace Router.Actors.Observability;

/// <summary>
/// The metric families of a Prometheus text exposition (format 0.0.4, what <see cref="RouterMetrics.ExportAsync"/>
/// writes): each family's type and help, and its samples (histograms as their <c>_bucket</c>, <c>_sum</c> and
/// <c>_count</c> series). Lines it cannot read are skipped.
/// </summary>
internal static class PrometheusExposition
{
    public sealed record Sample(string Name, KeyValuePair<string, object?>[] Labels, double Value);

    public sealed record Family(string Name, string Type, string Help)
    {
        public List<Sample> Samples { get; } = [];
    }

    public static IReadOnlyDictionary<string, Family> Parse(string text)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        Family? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) && Split(line, 7) is var (helpName, helpText))
                help[helpName] = Unescape(helpText);
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal) && Split(line, 7) is var (name, type))
                families[name] = current = new Family(name, type.Trim(), help.GetValueOrDefault(name, string.Empty));
            else if (line.Length > 0 && line[0] != '#' && ReadSample(line) is { } sample)
            {
                // A sample belongs to the family declared last when its name is the family's or one of its series'.
                if (current is not null && sample.Name.StartsWith(current.Name, StringComparison.Ordinal))
                    current.Samples.Add(sample);
            }
        }
        return families;
    }

    private static (string, string)? Split(string line, int start)
    {
        var space = line.IndexOf(' ', start);
        return space < 0 ? null : (line[start..space], line[(space + 1)..]);
    }

    private static Sample? ReadSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
            i++;
        var name = line[..i];
        var labels = new List<KeyValuePair<string, object?>>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                    return null;
                var key = line[i..eq];
                i = eq + 2;
                var value = new StringBuilder();
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                        value.Append(line[i]);
                    i++;
                }
                labels.Add(new(key, value.ToString()));
                i++;
                if (i < line.Length && line[i] == ',')
                    i++;
            }
            i++;
        }
        if (i >= line.Length)
            return null;
        var number = line[i..].Trim().Split(' ')[0];
        double? parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
        };
        return parsed is { } v ? new Sample(name, labels.ToArray(), v) : null;
    }

    private static string Unescape(string text) => text.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
