using System.Text.Json.Serialization;
using Router.Messages;

namespace Router.Actors.Spool;

/// <summary>Source-generated JSON for the envelope stored in Accepted records: no reflection on the accept path.</summary>
[JsonSerializable(typeof(Envelope))]
internal sealed partial class SpoolJsonContext : JsonSerializerContext;
