using System.Globalization;
using Akka.Configuration.Hocon;
using Router.Actors.Health.Latency;

namespace Router.Actors.Configuration;

/// <summary>
/// The latency detector's keys of a firewall block (issue 18): <c>detector-phi-threshold</c>,
/// <c>detector-min-samples</c>, <c>detector-window</c>, <c>detector-min-deviation</c> and
/// <c>detector-acceptable-pause</c>, each inherited from <c>router.firewall-defaults</c>.
/// </summary>
internal static class FirewallDetectorConfigReader
{
    public static readonly string[] Keys =
        ["detector-phi-threshold", "detector-min-samples", "detector-window", "detector-min-deviation", "detector-acceptable-pause"];

    public static LatencyPolicy Read(Func<string, HoconValue?> get, string key, LatencyPolicy inherited, ConfigErrors errors)
    {
        var phiKey = $"{key}.detector-phi-threshold";
        var phi = errors.Read(
            () =>
            {
                if (get("detector-phi-threshold") is not { } value || value.IsEmpty)
                    return inherited.PhiThreshold;
                var text = value.GetString();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 30
                    ? number
                    : throw new RouterConfigException(phiKey, $"\"{text}\" is not a number from 1 to 30");
            },
            inherited.PhiThreshold);

        var minSamplesKey = $"{key}.detector-min-samples";
        var minSamples = errors.Read(
            () =>
            {
                var number = HoconReader.Int(get("detector-min-samples"), minSamplesKey, inherited.MinSamples);
                return number < 2 ? throw new RouterConfigException(minSamplesKey, $"{number} is less than 2") : number;
            },
            inherited.MinSamples);

        var windowKey = $"{key}.detector-window";
        var window = errors.Read(
            () =>
            {
                var number = HoconReader.Int(get("detector-window"), windowKey, inherited.WindowSize);
                return number < minSamples
                    ? throw new RouterConfigException(windowKey, $"{number} is less than detector-min-samples {minSamples}")
                    : number;
            },
            inherited.WindowSize);

        var minDeviation = errors.Read(
            () => ConfigRules.PositiveDuration(get("detector-min-deviation"), $"{key}.detector-min-deviation", inherited.MinStdDeviation),
            inherited.MinStdDeviation);

        var pauseKey = $"{key}.detector-acceptable-pause";
        var pause = errors.Read(
            () =>
            {
                var duration = HoconReader.Duration(get("detector-acceptable-pause"), pauseKey, inherited.AcceptablePause);
                return duration < TimeSpan.Zero ? throw new RouterConfigException(pauseKey, $"{duration} must not be negative") : duration;
            },
            inherited.AcceptablePause);

        return new LatencyPolicy(phi, minSamples, window, minDeviation, pause);
    }
}
