namespace Router.Actors.Spool;

/// <summary>Where an Accepted record and the stored body inside it lie.</summary>
/// <param name="Segment">The segment file.</param>
/// <param name="RecordOffset">File offset of the record header.</param>
/// <param name="RecordLength">Header plus payload.</param>
/// <param name="BodyOffset">File offset of the stored body (prefix + body).</param>
/// <param name="BodyLength">Stored body length.</param>
internal readonly record struct SpoolLocation(SpoolSegment Segment, long RecordOffset, long RecordLength, long BodyOffset, long BodyLength);
