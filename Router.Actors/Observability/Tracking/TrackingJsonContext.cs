using System.Text.Json.Serialization;

namespace Router.Actors.Observability.Tracking;

/// <summary>
/// Source-generated JSON for the tracking log: no reflection on the writer. Public so that the admin
/// endpoint writes <c>FindAsync</c> results in the same shape as the log lines
/// (<c>TrackingJsonContext.Default.IReadOnlyListTrackingEvent</c>).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrackingEvent))]
[JsonSerializable(typeof(IReadOnlyList<TrackingEvent>))]
public sealed partial class TrackingJsonContext : JsonSerializerContext;
