using System.Text.Json.Serialization;

namespace Router.Actors.Observability.Tracking;

/// <summary>Source-generated JSON for the tracking log: no reflection on the writer.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrackingEvent))]
internal sealed partial class TrackingJsonContext : JsonSerializerContext;
